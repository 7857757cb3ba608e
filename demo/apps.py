from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Données de démonstration et synthétiques : en haut de la pile, elles écrivent dans toutes les applications et
    aucune ne les importe. Jamais en production (`charger_demo` exige DEBUG)."""

    name = "demo"
    verbose_name = "Démonstration"
