"""The blueprint every API module registers its operations on."""

from flask import Blueprint

api = Blueprint("api", __name__)
