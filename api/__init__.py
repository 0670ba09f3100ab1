"""Web layer: the Litestar app, its routes, schemas, auth and errors, and the CLI."""
