"""The benchmark (``make bench``): its own settings, URLconf and command, never
loaded by the product's settings."""
