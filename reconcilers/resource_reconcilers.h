// Reconcilers for the kinds around services: networks, volumes, namespaces,
// and the periodic resync that re-enqueues everything.
//
// Thread-safety: as Reconciler (one key never on two workers at once).
#pragma once

#include <functional>
#include <string>

#include "base/clock.h"
#include "engine/docker_engine.h"
#include "controller/reconciler.h"
#include "reconcilers/container_snapshot.h"
#include "store/store.h"

namespace tender {

using EnqueueFn = std::function<void(const Key&)>;

// Keeps a Network resource's engine network ({ns}_{name}) in existence;
// removes it when the resource is deleted, and removes this instance's
// networks that no resource owns (a namespace's implicit "default" network
// only once no container is attached to it).
class NetworkReconciler : public Reconciler {
 public:
  NetworkReconciler(Store& store, DockerEngine& engine, Clock& clock, std::string instance)
      : store_(store), engine_(engine), clock_(clock), instance_(std::move(instance)) {}
  ReconcileResult reconcile(const Key& key) override;

 private:
  Store& store_;
  DockerEngine& engine_;
  Clock& clock_;
  std::string instance_;
};

// Keeps a Volume resource's engine volume in existence. A deleted Volume's
// engine volume is removed only when the deletion purges data (an explicit
// delete of the volume, or of its namespace with purge); a namespace deleted
// without purge leaves its volumes' data on the engine, as `docker compose
// down` does without -v. Volumes that no resource owns are kept too.
class VolumeReconciler : public Reconciler {
 public:
  VolumeReconciler(Store& store, DockerEngine& engine, Clock& clock, std::string instance)
      : store_(store), engine_(engine), clock_(clock), instance_(std::move(instance)) {}
  ReconcileResult reconcile(const Key& key) override;

 private:
  Store& store_;
  DockerEngine& engine_;
  Clock& clock_;
  std::string instance_;
};

// A deleted namespace takes every resource in it along, then goes itself.
// Deleted with purge (or expired: a ttl is for runs that must leave nothing
// behind), it also removes every volume of this instance labelled with the
// namespace, declared or not, once no container uses it. `engine` may be
// null (no volumes are then removed).
class NamespaceReconciler : public Reconciler {
 public:
  NamespaceReconciler(Store& store, Clock& clock, EnqueueFn enqueue, DockerEngine* engine = nullptr,
                      std::string instance = "")
      : store_(store), clock_(clock), enqueue_(std::move(enqueue)), engine_(engine), instance_(std::move(instance)) {}
  ReconcileResult reconcile(const Key& key) override;

 private:
  // Removes the namespace's volumes; ok() with *left > 0 when some are in use.
  Status removeVolumes(const std::string& ns, int* left);

  Store& store_;
  Clock& clock_;
  EnqueueFn enqueue_;
  DockerEngine* engine_;
  std::string instance_;
};

// Key {"Resync", "", ""}: enqueues every stored resource, and every key that
// this instance's objects on the engine point at (so objects of deleted or
// unknown services are found and removed). One list call per object type.
class ResyncReconciler : public Reconciler {
 public:
  // `snapshot` (optional) is filled with the container list, so the passes
  // the resync starts need not list again.
  ResyncReconciler(Store& store, DockerEngine& engine, std::string instance, EnqueueFn enqueue,
                   ContainerSnapshot* snapshot = nullptr)
      : store_(store),
        engine_(engine),
        instance_(std::move(instance)),
        enqueue_(std::move(enqueue)),
        snapshot_(snapshot) {}
  ReconcileResult reconcile(const Key& key) override;
  static Key key() { return Key{"Resync", "", ""}; }

 private:
  Store& store_;
  DockerEngine& engine_;
  std::string instance_;
  EnqueueFn enqueue_;
  ContainerSnapshot* snapshot_;
};

}  // namespace tender
