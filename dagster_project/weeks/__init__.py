"""Analysis weeks: the week value passed through the pipeline and the weeks the report compares."""
