"""The discussion layer: subjects, threaded comments and approvals, for any feature.

A subject is (kind, ref_id). The feature that owns a kind registers a loader
(`subjects.register`) that applies its own rule for who may see the thing and
returns a `subjects.Subject` carrying its rules for who may comment or approve
and who may lock; this package knows nothing of the features that use it
(library documents and pages, meetings' minutes; later policies, tasks).
"""
