package dev.apexpulse.k8s;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders the subset of kustomize that k8s/ uses, without kubectl: resources (files and directories),
 * components, configMapGenerator (with a content-hash suffix and the references to it rewritten),
 * images, namespace, and patches (strategic merge, lists of named items merged by name, and
 * {@code $patch: delete}). Anything else in a kustomization file is refused, so the tests notice when
 * k8s/ starts using a feature this renderer does not model. Patches are returned too, for validation.
 */
final class Kustomize {
  private static final Set<String> KEYS = Set.of("apiVersion", "kind", "resources", "components", "configMapGenerator",
      "images", "namespace", "patches");
  /** Merge keys of the strategic-merge lists used here (k8s API patchMergeKey). */
  private static final Map<String, String> MERGE_KEYS = Map.of(
      "containers", "name", "initContainers", "name", "env", "name", "volumes", "name", "volumeMounts", "mountPath",
      "ports", "containerPort");

  final List<Map<String, Object>> objects = new ArrayList<>();
  final List<Path> patchFiles = new ArrayList<>();
  final List<Map<String, Object>> patches = new ArrayList<>();

  private Kustomize() {}

  static Kustomize render(Path dir) {
    Kustomize k = new Kustomize();
    k.apply(dir, false);
    return k;
  }

  /** A kustomization with components added, as an overlay listing them would render it. */
  static Kustomize render(Path dir, Path... components) {
    Kustomize k = render(dir);
    for (Path c : components) {
      k.apply(c, true);
    }
    return k;
  }

  /** A typed model object (fabric8) of a rendered object. */
  static <T> T typed(Map<String, Object> object, Class<T> type) {
    return ManifestValidator.SERIALIZATION.unmarshal(new io.vertx.core.json.JsonObject(object).encode(), type);
  }

  @SuppressWarnings("unchecked")
  private void apply(Path dir, boolean component) {
    Path file = dir.resolve("kustomization.yaml");
    if (!Files.isRegularFile(file)) {
      throw new AssertionError(dir + " has no kustomization.yaml");
    }
    Map<String, Object> k = Repo.yaml(file);
    String expectedKind = component ? "Component" : "Kustomization";
    if (!expectedKind.equals(k.get("kind"))) {
      throw new AssertionError(file + ": kind must be " + expectedKind + ", is " + k.get("kind"));
    }
    for (String key : k.keySet()) {
      if (!KEYS.contains(key)) {
        throw new AssertionError(file + ": '" + key + "' is not modelled by the test renderer (Kustomize.java)");
      }
    }
    for (String r : (List<String>) k.getOrDefault("resources", List.of())) {
      Path p = dir.resolve(r).normalize();
      if (Files.isDirectory(p)) {
        apply(p, false);
      } else if (Files.isRegularFile(p)) {
        objects.addAll(Repo.yamlDocs(p));
      } else {
        throw new AssertionError(file + ": resource " + r + " does not exist");
      }
    }
    for (Map<String, Object> gen : (List<Map<String, Object>>) k.getOrDefault("configMapGenerator", List.of())) {
      generateConfigMap(dir, file, gen);
    }
    for (String c : (List<String>) k.getOrDefault("components", List.of())) {
      apply(dir.resolve(c).normalize(), true);
    }
    for (Map<String, Object> patch : (List<Map<String, Object>>) k.getOrDefault("patches", List.of())) {
      applyPatch(dir, file, patch);
    }
    for (Map<String, Object> image : (List<Map<String, Object>>) k.getOrDefault("images", List.of())) {
      setImage(image);
    }
    if (k.get("namespace") instanceof String ns) {
      for (Map<String, Object> o : objects) {
        if (!"Namespace".equals(o.get("kind"))) {
          ((Map<String, Object>) o.computeIfAbsent("metadata", x -> new LinkedHashMap<>())).put("namespace", ns);
        }
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void generateConfigMap(Path dir, Path file, Map<String, Object> gen) {
    String name = (String) gen.get("name");
    Map<String, Object> data = new LinkedHashMap<>();
    for (String entry : (List<String>) gen.getOrDefault("files", List.of())) {
      int eq = entry.indexOf('=');
      String key = eq < 0 ? Path.of(entry).getFileName().toString() : entry.substring(0, eq);
      Path source = dir.resolve(eq < 0 ? entry : entry.substring(eq + 1)).normalize();
      if (!source.startsWith(dir)) {
        throw new AssertionError(file + ": " + entry + " is outside the kustomization directory (kustomize's load restrictor refuses it)");
      }
      if (!Files.isRegularFile(source)) {
        throw new AssertionError(file + ": configMapGenerator file " + entry + " does not exist");
      }
      data.put(key, Repo.read(source));
    }
    String hashed = name + "-" + hash(data.toString());
    Map<String, Object> cm = new LinkedHashMap<>();
    cm.put("apiVersion", "v1");
    cm.put("kind", "ConfigMap");
    cm.put("metadata", new LinkedHashMap<>(Map.of("name", hashed)));
    cm.put("data", data);
    objects.add(cm);
    for (Map<String, Object> o : objects) {
      renameConfigMapRefs(o, name, hashed);
    }
  }

  @SuppressWarnings("unchecked")
  private static void renameConfigMapRefs(Object node, String from, String to) {
    if (node instanceof Map<?, ?> map) {
      for (String refKey : List.of("configMap", "configMapRef", "configMapKeyRef")) {
        if (map.get(refKey) instanceof Map<?, ?> ref && from.equals(ref.get("name"))) {
          ((Map<String, Object>) ref).put("name", to);
        }
      }
      map.values().forEach(v -> renameConfigMapRefs(v, from, to));
    } else if (node instanceof List<?> list) {
      list.forEach(v -> renameConfigMapRefs(v, from, to));
    }
  }

  @SuppressWarnings("unchecked")
  private void applyPatch(Path dir, Path file, Map<String, Object> spec) {
    List<Map<String, Object>> docs;
    if (spec.get("path") instanceof String p) {
      Path patchFile = dir.resolve(p).normalize();
      if (!Files.isRegularFile(patchFile)) {
        throw new AssertionError(file + ": patch " + p + " does not exist");
      }
      patchFiles.add(patchFile);
      docs = Repo.yamlDocs(patchFile);
    } else if (spec.get("patch") instanceof String inline) {
      docs = new ArrayList<>();
      for (Object d : new org.yaml.snakeyaml.Yaml().loadAll(inline)) {
        docs.add((Map<String, Object>) d);
      }
    } else {
      throw new AssertionError(file + ": a patch needs path or patch");
    }
    Map<String, Object> target = (Map<String, Object>) spec.get("target");
    for (Map<String, Object> patch : docs) {
      String kind = target != null && target.get("kind") != null ? (String) target.get("kind") : (String) patch.get("kind");
      String name = target != null && target.get("name") != null ? (String) target.get("name") : name(patch);
      Map<String, Object> base = find(kind, name);
      if (base == null) {
        throw new AssertionError(file + ": patch target " + kind + "/" + name + " not found");
      }
      if ("delete".equals(patch.get("$patch"))) {
        objects.remove(base);
        continue;
      }
      patches.add(patch);
      merge(base, patch);
    }
  }

  @SuppressWarnings("unchecked")
  static void merge(Map<String, Object> base, Map<String, Object> patch) {
    for (Map.Entry<String, Object> e : patch.entrySet()) {
      Object b = base.get(e.getKey());
      Object p = e.getValue();
      if (p == null) {
        base.remove(e.getKey());
      } else if (p instanceof Map<?, ?> pm && b instanceof Map<?, ?> bm) {
        merge((Map<String, Object>) bm, (Map<String, Object>) pm);
      } else if (p instanceof List<?> pl && b instanceof List<?> bl && MERGE_KEYS.containsKey(e.getKey())) {
        String key = MERGE_KEYS.get(e.getKey());
        List<Object> merged = new ArrayList<>(bl);
        for (Object item : pl) {
          Map<String, Object> pi = (Map<String, Object>) item;
          Map<String, Object> match = null;
          for (Object existing : merged) {
            if (existing instanceof Map<?, ?> em && pi.get(key) != null && pi.get(key).equals(em.get(key))) {
              match = (Map<String, Object>) em;
            }
          }
          if (match == null) {
            merged.add(pi);
          } else {
            merge(match, pi);
          }
        }
        base.put(e.getKey(), merged);
      } else {
        base.put(e.getKey(), p);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private void setImage(Map<String, Object> image) {
    String name = (String) image.get("name");
    for (Map<String, Object> o : objects) {
      for (Object c : ManifestValidator.resolve(o, "spec.template.spec.containers[*]").values()) {
        Map<String, Object> container = (Map<String, Object>) c;
        String current = (String) container.get("image");
        String repo = current.contains(":") ? current.substring(0, current.lastIndexOf(':')) : current;
        if (!repo.equals(name)) {
          continue;
        }
        String newName = (String) image.getOrDefault("newName", repo);
        String tag = image.get("newTag") != null ? String.valueOf(image.get("newTag"))
            : current.contains(":") ? current.substring(current.lastIndexOf(':') + 1) : null;
        container.put("image", tag == null ? newName : newName + ":" + tag);
      }
    }
  }

  Map<String, Object> find(String kind, String name) {
    for (Map<String, Object> o : objects) {
      if (kind.equals(o.get("kind")) && name.equals(name(o))) {
        return o;
      }
    }
    return null;
  }

  /** The one object of a kind (fails when there is none or several). */
  Map<String, Object> only(String kind) {
    List<Map<String, Object>> found = all(kind);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + kind + ", found " + found.size());
    }
    return found.get(0);
  }

  List<Map<String, Object>> all(String kind) {
    List<Map<String, Object>> found = new ArrayList<>();
    for (Map<String, Object> o : objects) {
      if (kind.equals(o.get("kind"))) {
        found.add(o);
      }
    }
    return found;
  }

  @SuppressWarnings("unchecked")
  static String name(Map<String, Object> o) {
    Object meta = o.get("metadata");
    return meta instanceof Map<?, ?> m ? (String) ((Map<String, Object>) m).get("name") : null;
  }

  private static String hash(String s) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, 10);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
