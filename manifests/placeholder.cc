namespace prisn::manifests {}
