"""The domain: models, schemas, repositories, services. Never imports FastAPI."""
