"""Coder feedback loop: reviewed episodes -> Label Studio tasks -> corrected training episodes -> retrain.

Modules: labelling (config contract, code parsing), tasks (episode -> task), client (SDK wrapper with
clear errors), exporter, importer, retrain. Nothing heavy is imported here.
"""
