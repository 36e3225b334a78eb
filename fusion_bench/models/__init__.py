"""Fusers: MGDN, classical baselines and ports of published networks, behind one registry."""

from fusion_bench.models.base import Fuser, MethodInfo, WeightFile
from fusion_bench.models.registry import create_method, get_method_info, list_methods, register_method

__all__ = ["Fuser", "MethodInfo", "WeightFile", "create_method", "get_method_info", "list_methods", "register_method"]
