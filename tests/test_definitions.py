"""The code location loads and shows the lineage raw -> staging -> mart -> check -> figure."""

import dagster as dg


def test_definitions_load_with_lineage():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_flows", "stg_flows", "int_attributed_flow_totals", "port_usage"} <= keys

    def parents(name: str) -> set[str]:
        node = graph.get(dg.AssetKey(name))
        return {key.to_user_string() for key in node.parent_keys}

    assert "raw_flows" in parents("stg_flows")
    assert "stg_flows" in parents("int_attributed_flow_totals")
    assert "port_usage" in parents("port_share_chart")
    checks = {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys}
    assert ("port_usage", "gx_port_usage") in checks


def test_every_asset_is_described():
    from dagster_project.definitions import defs

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.description, f"{key.to_user_string()} has no description"
