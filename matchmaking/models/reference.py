"""Reference data: countries and their groups, languages, vocabularies, strategic frameworks."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from matchmaking.choices import Actor, GroupKind
from matchmaking.labels import country_name, language_name


class CountryGroup(models.Model):
    """A group of countries used for eligibility: a UN regional group, or a list such as the OECD
    DAC list (`developing`), the UN LDC and SIDS lists, or the EU; `as_of` dates the list version."""

    code = models.CharField(max_length=20, primary_key=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=GroupKind.choices)
    source = models.CharField(max_length=300, blank=True)
    as_of = models.DateField(null=True, blank=True, help_text=_("Date of the list version in force."))

    class Meta:
        ordering = ["kind", "code"]

    def __str__(self):
        return self.code


class Country(models.Model):
    """A country or other CBD Party, by ISO 3166-1 alpha-2 code, with its UN regional group and
    its memberships of the eligibility groups."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=100)
    un_group = models.ForeignKey(
        CountryGroup,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regional_members",
        limit_choices_to={"kind": GroupKind.UN_REGION},
    )
    groups = models.ManyToManyField(
        CountryGroup,
        blank=True,
        related_name="members",
        limit_choices_to={"kind": GroupKind.ELIGIBILITY},
    )
    un_member = models.BooleanField(default=True)
    cbd_party = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "countries"

    def __str__(self):
        return self.local_name

    @property
    def local_name(self):
        """Its name in the reader's language (CLDR); `name` is the English one."""
        return country_name(self)

    def group_codes(self):
        """Every group the country belongs to, its UN regional group included."""
        codes = {group.code for group in self.groups.all()}
        if self.un_group_id:
            codes.add(self.un_group_id)
        return codes


class Language(models.Model):
    """A language by ISO 639-1 code."""

    code = models.CharField(max_length=2, primary_key=True)
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return language_name(self)


class VocabularyTerm(models.Model):
    """A term of a controlled vocabulary, labelled and described in the six UN languages and
    Portuguese (`label` and `description` are the English ones)."""

    slug = models.SlugField(max_length=40, primary_key=True)
    label = models.CharField(max_length=80)
    label_fr = models.CharField(max_length=80, blank=True)
    label_es = models.CharField(max_length=80, blank=True)
    label_ar = models.CharField(max_length=80, blank=True)
    label_ru = models.CharField(max_length=80, blank=True)
    label_zh = models.CharField(max_length=80, blank=True)
    label_pt = models.CharField(max_length=80, blank=True)
    description = models.CharField(max_length=300, blank=True)
    description_fr = models.CharField(max_length=300, blank=True)
    description_es = models.CharField(max_length=300, blank=True)
    description_ar = models.CharField(max_length=300, blank=True)
    description_ru = models.CharField(max_length=300, blank=True)
    description_zh = models.CharField(max_length=300, blank=True)
    description_pt = models.CharField(max_length=300, blank=True)
    synonyms = models.JSONField(
        default=dict, blank=True, help_text=_('Words that mean this term, per language: {"en": [...]}.')
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self):
        return self.localized_label()

    def localized_label(self, language=None):
        language = (language or get_language() or "en")[:2]
        return getattr(self, f"label_{language}", "") or self.label

    def localized_description(self, language=None):
        language = (language or get_language() or "en")[:2]
        return getattr(self, f"description_{language}", "") or self.description


class CooperationType(VocabularyTerm):
    """A kind of cooperation offered or requested (hosting, training, funding, ...)."""

    class Meta(VocabularyTerm.Meta):
        pass


class Theme(VocabularyTerm):
    """A CBD programme area or cross-cutting issue."""

    class Meta(VocabularyTerm.Meta):
        pass


def local_fields(translations, language=None):
    """The fields of a framework, goal or objective translated into the reader's language, from its
    `translations` (language -> field -> text, from matchmaking/data/framework_translations.json)."""
    return (translations or {}).get((language or get_language() or "en").split("-")[0], {})


def translated(row, field, language=None):
    """A field of a framework, goal or objective in the reader's language, else the English one."""
    return local_fields(row.translations, language).get(field) or getattr(row, field)


class LocalTitleAndText:
    """The title and text of a goal or objective in the reader's language."""

    @property
    def local_title(self):
        return translated(self, "title")

    @property
    def local_text(self):
        return translated(self, "text")


TRANSLATIONS_HELP = _(
    'The texts in the other languages: {"fr": {"title": ..., "text": ..., "source": "official" or "team"}}.'
)


class Framework(models.Model):
    """A strategic framework: the CHM strategic plan to 2010, the Global Biodiversity Framework, ..."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self):
        return self.local_name

    @property
    def local_name(self):
        return translated(self, "name")


class Goal(LocalTitleAndText, models.Model):
    """A goal of a framework."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="goals")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)

    class Meta:
        ordering = ["framework__position", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["framework", "code"], name="unique_goal_code")]

    def __str__(self):
        return f"{self.code} {self.local_title}"


class Objective(LocalTitleAndText, models.Model):
    """An objective (CHM plan) or target (GBF) that opportunities and outcomes serve; codes are unique
    across frameworks ("1.1", "GBF-TARGET-01")."""

    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="objectives")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text=TRANSLATIONS_HELP)

    class Meta:
        ordering = ["framework__position", "position", "code"]

    def __str__(self):
        return f"{self.code} {self.short_text}"

    @property
    def short_text(self):
        """Its title, or the start of its text, in the reader's language."""
        return short(self.local_title, self.local_text)


def short(title, text):
    return title or (text if len(text) <= 90 else text[:87] + "...")


class Activity(models.Model):
    """An activity of a framework's programme of work, with who acts."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="activities")
    code = models.CharField(max_length=20, unique=True)
    text = models.TextField()
    actor = models.CharField(max_length=10, choices=Actor.choices)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["objective__framework__position", "position", "code"]
        verbose_name_plural = "activities"

    def __str__(self):
        return self.code
