"""A reader's activation: register any torch function or a parsed formula (custom), and its report card beside the
book's eight (card). Used as `byo.register(...)`, `byo.formula(...)`."""
from .custom import EXTRAS, autograd_derivative, extras_registered, formula, register, register_extras, unregister
