"""What the apps above tell this one, which imports none of them.

The auditor's search reads the lines about the contracts of the auditor's organisations, and
finds a contract by its code: the contracts app hands over its model when it is ready
(``ContractsConfig.ready``). The model has a ``code`` and two parties, ``client`` and ``vendor``,
foreign keys to ``identity.Organization``.
"""

from django.core.exceptions import ImproperlyConfigured

_contract_model = None


def register_contract_model(model) -> None:
    global _contract_model
    _contract_model = model


def contract_model():
    if _contract_model is None:
        raise ImproperlyConfigured("No app registered the contract model (contracts' AppConfig.ready does).")
    return _contract_model
