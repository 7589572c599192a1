import pytest
from django.core.exceptions import ImproperlyConfigured

from reseller.env import env_bool, env_int, env_list


def test_env_bool_accepts_words(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    assert env_bool("X_FLAG", default=False) is True
    monkeypatch.setenv("X_FLAG", "off")
    assert env_bool("X_FLAG", default=True) is False


def test_env_bool_rejects_unknown_word(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG='maybe'"):
        env_bool("X_FLAG", default=False)


def test_env_int_rejects_text_and_minimum(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="not a whole number"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        env_int("X_NUM", 5, minimum=1)


def test_env_defaults_when_unset(monkeypatch):
    monkeypatch.delenv("X_NUM", raising=False)
    monkeypatch.delenv("X_LIST", raising=False)
    assert env_int("X_NUM", 7) == 7
    assert env_list("X_LIST", ["a"]) == ["a"]
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_list("X_LIST", []) == ["a", "b", "c"]
