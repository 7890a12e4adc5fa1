"""No import circles in gatehouse: every module can be read, and imported, after the modules
it uses. An import inside a function counts too: moving an import into a function to dodge
a circle leaves the circle in the design."""

from __future__ import annotations

import grimp


def import_circles(graph: grimp.ImportGraph) -> list[tuple[str, ...]]:
    """One shortest circle through each set of modules that import one another, as the chain
    of imports a reader can follow: ``(a, b, c, a)``."""
    circles: dict[frozenset[str], tuple[str, ...]] = {}
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back is None:
                continue
            circle = (module, *back)
            members = frozenset(circle)
            if members not in circles or len(circle) < len(circles[members]):
                circles[members] = circle
    return sorted(circles.values())


def test_no_module_of_gatehouse_imports_itself_through_others() -> None:
    circles = import_circles(grimp.build_graph("gatehouse", cache_dir=None))
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(c) for c in circles)


def test_a_circle_is_found_and_reported_once() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [("a.b", "a.c"), ("a.c", "a.d"), ("a.d", "a.b"), ("a.d", "a.e")]:
        graph.add_import(importer=importer, imported=imported)
    assert import_circles(graph) == [("a.b", "a.c", "a.d", "a.b")]
