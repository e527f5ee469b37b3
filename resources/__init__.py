"""gradlab's packaged resources: built-in function files (``functions/``) and icons."""
