// Passkeys (WebAuthn) on gatehouse's pages: signing in on the login page (a button, and the
// browser's autofill of the username field where it offers passkeys: "conditional UI"),
// adding a passkey on /passkeys, and a passkey as the second factor on /login/verify. No
// framework and no inline script (the pages' CSP allows scripts from gatehouse itself only). Without JavaScript, or without WebAuthn, the login
// page still signs in with a password. The script has no words of its own: what it says
// comes from the page, in the page's language (the data-messages of #passkey-messages,
// templates/_passkeys_script.html).
"use strict";

(() => {
  const words = JSON.parse(document.getElementById("passkey-messages").dataset.messages);
  // The path a tenant's pages live below (/t/{name}; none for the default tenant).
  const base = document.getElementById("passkey-messages").dataset.base || "";

  // -- base64url (RFC 4648 §5, no padding) <-> ArrayBuffer ---------------------------------

  function toBuffer(base64url) {
    const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    const binary = atob(padded);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    for (let i = 0; i < bytes.length; i += 1) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // -- The server's JSON options -> what navigator.credentials wants, and back ---------------

  const withIds = (descriptors) =>
    (descriptors || []).map((d) => Object.assign({}, d, { id: toBuffer(d.id) }));

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      allowCredentials: withIds(json.allowCredentials),
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials),
    });
  }

  // The PublicKeyCredential as JSON (WebAuthn §5.1, the shape of toJSON()), built by hand so
  // that every browser sends the same thing.
  function credentialJSON(credential) {
    const r = credential.response;
    const json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(r.clientDataJSON) },
    };
    if (r.attestationObject) {
      json.response.attestationObject = toBase64url(r.attestationObject);
      json.response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(r.authenticatorData);
      json.response.signature = toBase64url(r.signature);
      json.response.userHandle = r.userHandle ? toBase64url(r.userHandle) : null;
    }
    return json;
  }

  // -- Talking to gatehouse and to the person ---------------------------------------------

  const supported = () =>
    typeof window.PublicKeyCredential === "function" && !!navigator.credentials;

  // An error gatehouse answered with, in the page's words.
  function answered(text) {
    const error = new Error(text);
    error.fromGatehouse = true;
    return error;
  }

  async function post(url, body) {
    const response = await fetch(base + url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(() => null);
    if (response.ok && data) return data;
    // gatehouse's refusals a person can act on carry a "problem" the page has words for;
    // their error_description is for developers, in English.
    if (data && words[data.problem]) throw answered(words[data.problem]);
    if (response.status === 403) throw answered(words.form_expired);
    if (data && data.error) throw answered(words.failed);
    throw answered(words.server_error.replace("{status}", String(response.status)));
  }

  // What a failed navigator.credentials call means, in the person's words.
  function explain(error) {
    switch (error && error.name) {
      case "NotAllowedError":
        return words.cancelled;
      case "InvalidStateError":
        return words.exists;
      case "SecurityError":
        return words.insecure;
      case "NotSupportedError":
        return words.unsupported_device;
      default:
        // Our own errors (from post) carry the page's words; anything else gets the general ones.
        return (error && error.fromGatehouse && error.message) || words.failed;
    }
  }

  function say(element, text) {
    element.textContent = text;
    element.hidden = !text;
  }

  // -- The login page ---------------------------------------------------------------------

  function loginPage(section) {
    const button = section.querySelector("button");
    const message = section.querySelector("[data-message]");
    const fields = { csrf_token: section.dataset.csrf, interaction: section.dataset.interaction };
    section.hidden = false;
    if (!supported()) {
      button.disabled = true;
      say(message, words.no_passkeys_sign_in);
      return;
    }
    let waiting = null; // the AbortController of the request the browser is holding open

    async function signIn(conditional) {
      if (waiting) waiting.abort();
      const controller = new AbortController();
      waiting = controller;
      const options = await post("/login/passkey/options", fields);
      const request = { publicKey: requestOptions(options), signal: controller.signal };
      if (conditional) request.mediation = "conditional";
      const credential = await navigator.credentials.get(request);
      if (waiting === controller) waiting = null;
      const signedIn = await post(
        "/login/passkey",
        Object.assign({ credential: credentialJSON(credential) }, fields),
      ).catch((error) => {
        error.refused = true; // gatehouse refused the passkey the person chose
        throw error;
      });
      window.location.assign(signedIn.location);
    }

    // The passkeys among the username field's suggestions, where the browser has them. It
    // fails quietly (the button says why when pressed) and is offered again only after
    // gatehouse refused a passkey picked from it, a few times at most.
    let offers = 0;
    async function offerInAutofill() {
      offers += 1;
      if (offers > 5) return;
      const available =
        typeof PublicKeyCredential.isConditionalMediationAvailable === "function" &&
        (await PublicKeyCredential.isConditionalMediationAvailable().catch(() => false));
      if (!available) return;
      signIn(true).catch((error) => {
        if (!error.refused) return;
        say(message, explain(error));
        offerInAutofill();
      });
    }

    button.addEventListener("click", () => {
      say(message, "");
      button.disabled = true;
      signIn(false)
        .catch((error) => {
          say(message, explain(error));
          // The button's request replaced the autofill one: offer it again, unless the
          // browser cannot do passkeys here at all.
          if (error.refused || error.name === "NotAllowedError") offerInAutofill();
        })
        .finally(() => {
          button.disabled = false;
        });
    });
    offerInAutofill();
  }

  // -- /passkeys: adding one --------------------------------------------------------------

  function passkeysPage(form) {
    const button = form.querySelector("button");
    const message = form.querySelector("[data-message]");
    form.hidden = false;
    if (!supported()) {
      button.disabled = true;
      say(message, words.no_passkeys_add);
      return;
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      say(message, "");
      const fields = { csrf_token: form.elements.csrf_token.value, name: form.elements.name.value };
      button.disabled = true;
      try {
        const options = await post("/passkeys/options", fields);
        const credential = await navigator.credentials.create({
          publicKey: creationOptions(options),
        });
        const added = await post(
          "/passkeys",
          Object.assign({ credential: credentialJSON(credential) }, fields),
        );
        window.location.assign(added.location);
      } catch (error) {
        say(message, explain(error));
        button.disabled = false;
      }
    });
  }

  // -- /login/verify: a passkey as the second factor ---------------------------------------

  function secondFactor(form) {
    const button = form.querySelector("button");
    const message = form.querySelector("[data-message]");
    if (!supported()) {
      button.disabled = true;
      say(message, words.no_passkeys_factor);
      return;
    }
    button.addEventListener("click", async () => {
      say(message, "");
      button.disabled = true;
      try {
        const options = requestOptions(JSON.parse(form.dataset.options));
        const credential = await navigator.credentials.get({ publicKey: options });
        form.elements.credential.value = JSON.stringify(credentialJSON(credential));
        form.submit();
      } catch (error) {
        say(message, explain(error));
        button.disabled = false;
      }
    });
  }

  const signInSection = document.getElementById("passkey-sign-in");
  if (signInSection) loginPage(signInSection);
  const addForm = document.getElementById("add-passkey");
  if (addForm) passkeysPage(addForm);
  const factorForm = document.getElementById("passkey-factor");
  if (factorForm) secondFactor(factorForm);
})();
