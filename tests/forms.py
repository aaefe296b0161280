"""What the New / Edit Endpoint page posts, for tests that post it."""


def registry_form(**overrides) -> dict:
    """A New / Edit Endpoint POST as the page sends it; a None value leaves the field out."""
    data = {
        "provider": "docker-registry",
        "name": "mirror",
        "description": "",
        "url": "http://127.0.0.1:9",
        "access_id": "",
        "access_secret": "",
        "verify_remote_cert": "on",
        "ca_certificate": "",
        "action": "save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
