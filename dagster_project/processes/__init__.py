"""How the project's processes run: the dbt child that must not outlive its run, the process
tree without transparent huge pages, and the objects made to last the process left out of
the garbage collector's passes."""
