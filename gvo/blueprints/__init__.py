"""One blueprint per feature: routes and forms, thin; rules live in the services."""
