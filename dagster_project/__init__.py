"""trafficreport: the weekly Broadband Traffic Report as Dagster assets."""
