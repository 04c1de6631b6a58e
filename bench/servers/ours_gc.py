import gc, os, sys
import runpy
mod = runpy.run_path(os.path.join(os.path.dirname(__file__), "ours.py"), run_name="bench_ours")
server = mod["server"]
mode = os.environ.get("GCMODE", "freeze")
if mode == "uvicorn":
    import uvicorn, logging
    logging.getLogger("mcp_use").setLevel(logging.WARNING)
    uvicorn.run(server.streamable_http_app(), host="127.0.0.1", port=int(sys.argv[2]), loop="uvloop", http="httptools", lifespan="off", log_level="warning")
    sys.exit()
level = None if sys.argv[3:] == ["default-log"] else "warning"
server.run(transport="streamable-http", host="127.0.0.1", port=int(sys.argv[2]), log_level=level)
