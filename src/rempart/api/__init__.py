"""HTTP adapter: FastAPI routes over the services (native ``/v1`` and HMA-compatible)."""
