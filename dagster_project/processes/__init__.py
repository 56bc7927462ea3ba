"""How the project's processes run: the dbt child that must not outlive its run, and the
process tree without transparent huge pages."""
