"""Server transports: bytes in, message dicts to the engine, bytes out."""
