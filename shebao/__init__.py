"""shebao — the service-handling platform of a city social-insurance bureau (社保经办服务平台)."""

__version__ = "0.1.0"
