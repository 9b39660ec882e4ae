from schemas.export import JSON_DIR, MODELS, render


def test_json_schema_files_match_the_models():
    for name, model in MODELS.items():
        path = JSON_DIR / f"{name}.schema.json"
        assert path.exists(), f"{path} is missing: run `wirestream schemas export`"
        assert path.read_text(encoding="utf-8") == render(model), (
            f"{path.name} has drifted from {model.__name__}: run `wirestream schemas export` and commit"
        )


def test_every_event_is_versioned():
    for model in MODELS.values():
        assert model.model_json_schema()["properties"]["schema_version"]["const"] == 1
