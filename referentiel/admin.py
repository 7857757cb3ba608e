"""Administration du référentiel en lecture seule.

Le référentiel est le texte de l'arrêté, chargé par `charger_referentiel` : une modification est une nouvelle
version chargée comme donnée, jamais une retouche dans l'admin. Les permissions add/change/delete que
l'administrateur reçoit sur l'application (agora.roles) sont donc neutralisées ici, pour tout le monde.
"""

from django.contrib import admin

from referentiel.models import Activite, Bloc, Competence, Indicateur, Pole, Referentiel, Savoir, Tache, Unite


class LectureSeule:
    """Ni ajout, ni modification, ni suppression ; la consultation suit la permission view_*."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ModeleLectureSeule(LectureSeule, admin.ModelAdmin):
    list_per_page = 100


class LigneLectureSeule(LectureSeule, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


class PoleLigne(LigneLectureSeule):
    model = Pole
    fields = ["numero", "intitule"]


class BlocLigne(LigneLectureSeule):
    model = Bloc
    fields = ["ordre", "code", "intitule", "type"]


class UniteLigne(LigneLectureSeule):
    model = Unite
    fields = ["ordre", "code", "intitule", "epreuve"]


@admin.register(Referentiel)
class ReferentielAdmin(ModeleLectureSeule):
    list_display = ["code", "intitule", "date_arrete", "premiere_session"]
    inlines = [PoleLigne, BlocLigne, UniteLigne]


class ActiviteLigne(LigneLectureSeule):
    model = Activite
    fields = ["code", "intitule", "bloc"]


@admin.register(Pole)
class PoleAdmin(ModeleLectureSeule):
    list_display = ["numero", "intitule", "referentiel"]
    list_display_links = ["numero", "intitule"]
    list_filter = ["referentiel"]
    inlines = [ActiviteLigne]


class TacheLigne(LigneLectureSeule):
    model = Tache
    fields = ["ordre", "intitule"]


class CompetenceLigne(LigneLectureSeule):
    model = Competence
    fields = ["ordre", "intitule"]


class IndicateurLigne(LigneLectureSeule):
    model = Indicateur
    fields = ["ordre", "intitule"]


@admin.register(Activite)
class ActiviteAdmin(ModeleLectureSeule):
    list_display = ["code", "intitule", "pole", "bloc"]
    list_display_links = ["code", "intitule"]
    list_filter = ["pole__referentiel"]
    list_select_related = ["pole", "bloc"]
    search_fields = ["intitule"]
    inlines = [TacheLigne, CompetenceLigne, IndicateurLigne]


class SavoirLigne(LigneLectureSeule):
    model = Savoir
    fields = ["ordre", "famille", "intitule"]


@admin.register(Bloc)
class BlocAdmin(ModeleLectureSeule):
    list_display = ["code", "intitule", "type", "referentiel"]
    list_display_links = ["code", "intitule"]
    list_filter = ["referentiel", "type"]
    inlines = [CompetenceLigne, SavoirLigne]


@admin.register(Competence)
class CompetenceAdmin(ModeleLectureSeule):
    list_display = ["intitule", "bloc", "activite", "ordre"]
    list_filter = ["bloc__referentiel", "bloc__type", "bloc"]
    list_select_related = ["bloc", "activite"]
    search_fields = ["intitule"]


@admin.register(Tache)
class TacheAdmin(ModeleLectureSeule):
    list_display = ["intitule", "activite", "ordre"]
    list_filter = ["activite__pole__referentiel", "activite"]
    list_select_related = ["activite"]
    search_fields = ["intitule"]


@admin.register(Indicateur)
class IndicateurAdmin(ModeleLectureSeule):
    list_display = ["intitule", "activite", "ordre"]
    list_filter = ["activite__pole__referentiel", "activite"]
    list_select_related = ["activite"]
    search_fields = ["intitule"]


@admin.register(Savoir)
class SavoirAdmin(ModeleLectureSeule):
    list_display = ["intitule", "famille", "bloc", "ordre"]
    list_filter = ["bloc__referentiel", "bloc"]
    list_select_related = ["bloc"]
    search_fields = ["intitule", "indications"]


@admin.register(Unite)
class UniteAdmin(ModeleLectureSeule):
    list_display = ["code", "intitule", "epreuve", "referentiel"]
    list_display_links = ["code", "intitule"]
    list_filter = ["referentiel"]
