"""Server transports: bytes (stdio lines, HTTP requests) in, `ServerCore` calls out.

Each is built with the core alone and implements no protocol method itself; the era of
every inbound message comes from `protocol.era.inbound_era`.
"""
