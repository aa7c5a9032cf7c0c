"""Loads the reference data shipped in matchmaking/data/: countries and groups, languages,
vocabularies and strategic frameworks. Idempotent: running it again changes nothing that is
already right. Used by a data migration (with historical models) and by `manage.py load_reference`."""

import datetime
import json
from importlib import resources

from django.apps import apps as global_apps

UN_REGIONS = {
    "AFR": "African States",
    "APAC": "Asia-Pacific States",
    "EEG": "Eastern European States",
    "GRULAC": "Latin American and Caribbean States",
    "WEOG": "Western European and Other States",
}
ELIGIBILITY_GROUPS = {
    "developing": "Developing countries (OECD DAC list of ODA recipients)",
    "ldc": "Least developed countries (UN list)",
    "sids": "Small island developing States (UN-OHRLLS list)",
    "eu": "Member States of the European Union",
}
# Date of the list version in force, where the source file does not give one.
LIST_DATES = {"ldc": "2024-12-13", "eu": "2013-07-01"}


def data_file(*path):
    """A file of matchmaking/data/ (a Traversable: `.read_text()`, `.open()`)."""
    return resources.files("matchmaking").joinpath("data", *path)


def read(name):
    """The JSON data file `name` of matchmaking/data/."""
    return json.loads(data_file(name).read_text(encoding="utf-8"))


def load_reference(apps=global_apps):
    load_countries(apps)
    load_languages(apps)
    load_vocabularies(apps)
    load_frameworks(apps)


def load_countries(apps=global_apps):
    CountryGroup = apps.get_model("matchmaking", "CountryGroup")
    Country = apps.get_model("matchmaking", "Country")
    data = read("countries.json")
    sources = data["sources"]
    dates = {**LIST_DATES, "developing": sources["developing_version"]}
    for code, name in UN_REGIONS.items():
        CountryGroup.objects.update_or_create(
            code=code, defaults={"name": name, "kind": "un_region", "source": sources["un_group"][:300]}
        )
    for code, name in ELIGIBILITY_GROUPS.items():
        CountryGroup.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": "eligibility",
                "source": sources[code][:300],
                "as_of": datetime.date.fromisoformat(dates[code]) if code in dates else None,
            },
        )
    for row in data["countries"]:
        country, _ = Country.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "un_group_id": row["un_group"],
                "un_member": row["un_member"],
                "cbd_party": row["cbd_party"],
            },
        )
        country.groups.set(row["groups"])


def load_languages(apps=global_apps):
    Language = apps.get_model("matchmaking", "Language")
    for row in read("languages.json")["languages"]:
        Language.objects.update_or_create(code=row["code"], defaults={"name": row["name"]})


LANGUAGES = ("fr", "es", "ar", "ru", "zh", "pt")  # beside English, in `label` and `description`


def load_vocabularies(apps=global_apps):
    data = read("vocabularies.json")
    for model_name, key in (("CooperationType", "cooperation_types"), ("Theme", "themes")):
        model = apps.get_model("matchmaking", model_name)
        fields = {f.name for f in model._meta.get_fields()}
        for position, row in enumerate(data[key]):
            label, description = row["label"], row["description"]
            defaults = {"label": label["en"], "description": description["en"]}
            for code in LANGUAGES:
                defaults[f"label_{code}"] = label.get(code, "")
                defaults[f"description_{code}"] = description.get(code, "")
            defaults.update(synonyms=row.get("synonyms", {}), position=position)
            # the historical model of an earlier migration may not have every language yet
            model.objects.update_or_create(
                slug=row["slug"], defaults={k: v for k, v in defaults.items() if k in fields}
            )


def load_frameworks(apps=global_apps):
    Framework = apps.get_model("matchmaking", "Framework")
    Goal = apps.get_model("matchmaking", "Goal")
    Objective = apps.get_model("matchmaking", "Objective")
    Activity = apps.get_model("matchmaking", "Activity")
    # In the data migrations before 0012, the models have no `translations` yet.
    translated = "translations" in {f.name for f in Framework._meta.get_fields()}
    translations = framework_translations() if translated else {}

    def local(code):
        return {"translations": translations.get(code, {})} if translated else {}

    for f_position, row in enumerate(read("frameworks.json")["frameworks"]):
        framework, _ = Framework.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "source": row["source"],
                "position": f_position,
                **local(row["code"]),
            },
        )
        o_position = 0
        for g_position, goal_row in enumerate(row["goals"]):
            goal, _ = Goal.objects.update_or_create(
                framework=framework,
                code=goal_row["code"],
                defaults={
                    "title": goal_row["title"],
                    "text": goal_row.get("text", ""),
                    "position": g_position,
                    **local(goal_row["code"]),
                },
            )
            for objective_row in goal_row.get("objectives", []):
                objective = _save_objective(
                    Objective, framework, goal, objective_row, o_position, local(objective_row["code"])
                )
                o_position += 1
                for a_position, activity_row in enumerate(objective_row.get("activities", [])):
                    Activity.objects.update_or_create(
                        code=activity_row["code"],
                        defaults={
                            "objective": objective,
                            "text": activity_row["text"],
                            "actor": activity_row["actor"],
                            "position": a_position,
                        },
                    )
        for target_row in row.get("targets", []):
            _save_objective(Objective, framework, None, target_row, o_position, local(target_row["code"]))
            o_position += 1


def _save_objective(Objective, framework, goal, row, position, local):
    objective, _ = Objective.objects.update_or_create(
        code=row["code"],
        defaults={
            "framework": framework,
            "goal": goal,
            "title": row.get("title", ""),
            "text": row["text"],
            "position": position,
            **local,
        },
    )
    return objective


def framework_translations():
    """Code -> language -> the translated fields of a framework, goal, objective or target, and
    whether the text is the official one of the decision in that language or the team's own
    translation (`source`)."""
    by_code = {}
    for language, entries in read("framework_translations.json")["languages"].items():
        for code, fields in entries.items():
            by_code.setdefault(code, {})[language] = fields
    return by_code
