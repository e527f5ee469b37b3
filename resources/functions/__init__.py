"""Built-in function files. Each module here is a plain function file, loaded by path."""
