package dev.apexpulse.k8s;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Offline validation of one Kubernetes object against fabric8's API model classes, stricter than
 * fabric8 alone:
 * <ul>
 *   <li><b>wrong types</b>: fabric8 (Jackson) throws on values it cannot convert, and a round trip
 *   (YAML → model → JSON, compared with the YAML) catches the values Jackson converts silently but the
 *   API server refuses ({@code replicas: "3"}, an annotation {@code 3600} instead of {@code "3600"});</li>
 *   <li><b>unknown fields</b>: fabric8 keeps them in {@code getAdditionalProperties()}; every model object
 *   is walked and each one is reported with its path (typos like {@code publishNotReadyAddress});</li>
 *   <li><b>missing required fields</b>: fabric8 checks none, so {@link #REQUIRED} lists them per kind
 *   (the API's required fields plus what this project needs, e.g. selectors and probe paths);</li>
 *   <li>kinds fabric8 does not know come back as {@link GenericKubernetesResource}: reported.</li>
 * </ul>
 * Problems are returned as strings "path: message"; an empty list means valid.
 */
final class ManifestValidator {
  static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  /** Paths ({@code a.b[*].c}) that must be present in every object of a kind; {@code +} suffix: and non-empty. */
  static final Map<String, List<String>> REQUIRED = Map.ofEntries(
      Map.entry("Deployment", List.of(
          "spec.selector", "spec.selector.matchLabels+", "spec.template", "spec.template.metadata.labels+",
          "spec.template.spec.containers+", "spec.template.spec.containers[*].name", "spec.template.spec.containers[*].image",
          "spec.template.spec.containers[*].ports[*].containerPort", "spec.template.spec.containers[*].env[*].name",
          "spec.template.spec.containers[*].volumeMounts[*].name", "spec.template.spec.containers[*].volumeMounts[*].mountPath",
          "spec.template.spec.containers[*].readinessProbe", "spec.template.spec.containers[*].livenessProbe",
          "spec.template.spec.containers[*].*Probe.httpGet.path", "spec.template.spec.containers[*].*Probe.httpGet.port",
          "spec.template.spec.volumes[*].name")),
      Map.entry("Service", List.of("spec.ports+", "spec.ports[*].port", "spec.ports[*].name", "spec.selector+")),
      Map.entry("PodDisruptionBudget", List.of("spec.selector", "spec.selector.matchLabels+")),
      Map.entry("HorizontalPodAutoscaler", List.of(
          "spec.scaleTargetRef", "spec.scaleTargetRef.kind", "spec.scaleTargetRef.name", "spec.maxReplicas",
          "spec.metrics[*].type")),
      Map.entry("NetworkPolicy", List.of("spec.podSelector", "spec.ingress[*].ports[*].port")),
      Map.entry("Ingress", List.of(
          "spec.rules+", "spec.rules[*].http.paths+", "spec.rules[*].http.paths[*].path", "spec.rules[*].http.paths[*].pathType",
          "spec.rules[*].http.paths[*].backend.service.name", "spec.rules[*].http.paths[*].backend.service.port")),
      Map.entry("ServiceMonitor", List.of("spec.selector", "spec.endpoints+", "spec.endpoints[*].port", "spec.endpoints[*].path")),
      Map.entry("PrometheusRule", List.of("spec.groups+", "spec.groups[*].name", "spec.groups[*].rules+",
          "spec.groups[*].rules[*].alert", "spec.groups[*].rules[*].expr")),
      Map.entry("ConfigMap", List.of()),
      Map.entry("Secret", List.of()),
      Map.entry("Namespace", List.of()));

  /** Map values fabric8 keeps as Quantity: a number there is fine (the API server accepts 2 for "2"). */
  private static final Set<String> QUANTITY_PARENTS = Set.of("requests", "limits", "hard", "capacity");

  private ManifestValidator() {}

  /** Validates a complete object. */
  static List<String> validate(Map<String, Object> doc) {
    return validate(doc, false);
  }

  /**
   * @param partial a patch (strategic merge): types and unknown fields are checked, required fields
   *                are not (they come from the base)
   */
  static List<String> validate(Map<String, Object> doc, boolean partial) {
    List<String> problems = new ArrayList<>();
    if (!(doc.get("apiVersion") instanceof String) || !(doc.get("kind") instanceof String)) {
      problems.add("(root): apiVersion and kind are required strings");
      return problems;
    }
    String kind = (String) doc.get("kind");
    JsonObject original = new JsonObject(doc);
    Object model;
    try {
      model = SERIALIZATION.unmarshal(original.encode());
    } catch (RuntimeException e) {
      Throwable cause = e;
      while (cause.getCause() != null && (cause.getMessage() == null || !cause.getMessage().contains("reference chain"))) {
        cause = cause.getCause();
      }
      String message = String.valueOf(cause.getMessage());
      problems.add("wrong type: " + message.lines().findFirst().orElse(message)
          + message.lines().filter(l -> l.contains("reference chain")).findFirst().map(l -> " " + l.trim()).orElse(""));
      return problems;
    }
    if (model instanceof GenericKubernetesResource) {
      problems.add("(root): unknown kind " + doc.get("apiVersion") + "/" + kind);
      return problems;
    }
    unknownFields(model, "", problems);
    JsonObject roundTrip = new JsonObject(SERIALIZATION.asJson(model));
    compareTypes(original.getMap(), roundTrip.getMap(), "", problems);
    if (!partial) {
      List<String> required = REQUIRED.get(kind);
      if (required == null) {
        problems.add("(root): no required-field rules for kind " + kind + ": add them to ManifestValidator.REQUIRED");
      } else {
        requirePath(original.getMap(), "metadata.name", problems);
        for (String path : required) {
          requirePath(original.getMap(), path, problems);
        }
      }
    }
    return problems;
  }

  // ---- unknown fields

  private static void unknownFields(Object o, String path, List<String> out) {
    if (o == null || o instanceof Quantity || o instanceof IntOrString) {
      return;
    }
    if (o instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        unknownFields(list.get(i), path + "[" + i + "]", out);
      }
      return;
    }
    if (o instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, join(path, String.valueOf(k)), out));
      return;
    }
    Class<?> c = o.getClass();
    if (!c.getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Method m : c.getMethods()) {
      if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
          || m.getDeclaringClass() == Object.class) {
        continue;
      }
      Object value;
      try {
        value = m.invoke(o);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (m.getName().equals("getAdditionalProperties")) {
        if (value instanceof Map<?, ?> extra) {
          for (Object key : extra.keySet()) {
            out.add(join(path, String.valueOf(key)) + ": unknown field");
          }
        }
        continue;
      }
      unknownFields(value, join(path, propertyName(m)), out);
    }
  }

  private static String propertyName(Method getter) {
    JsonProperty p = getter.getAnnotation(JsonProperty.class);
    if (p != null && !p.value().isEmpty()) {
      return p.value();
    }
    String n = getter.getName().substring(3);
    return n.isEmpty() ? n : Character.toLowerCase(n.charAt(0)) + n.substring(1);
  }

  // ---- types (what Jackson converted silently)

  private static void compareTypes(Object original, Object roundTrip, String path, List<String> out) {
    if (original == null) {
      return;
    }
    if (original instanceof Map<?, ?> map) {
      if (roundTrip == null && map.isEmpty()) {
        return;
      }
      if (!(roundTrip instanceof Map<?, ?> rt)) {
        out.add(label(path) + ": wrong type: expected " + describe(roundTrip) + ", got an object");
        return;
      }
      for (Map.Entry<?, ?> e : map.entrySet()) {
        compareTypes(e.getValue(), rt.get(e.getKey()), join(path, String.valueOf(e.getKey())), out);
      }
      return;
    }
    if (original instanceof List<?> list) {
      if (roundTrip == null && list.isEmpty()) {
        return;
      }
      if (!(roundTrip instanceof List<?> rt) || rt.size() != list.size()) {
        out.add(label(path) + ": wrong type: expected " + describe(roundTrip) + ", got a list");
        return;
      }
      for (int i = 0; i < list.size(); i++) {
        compareTypes(list.get(i), rt.get(i), path + "[" + i + "]", out);
      }
      return;
    }
    if (roundTrip == null) {
      out.add(label(path) + ": value dropped by the model (wrong type?)");
      return;
    }
    boolean sameKind = original instanceof String ? roundTrip instanceof String
        : original instanceof Number ? roundTrip instanceof Number
        : original instanceof Boolean ? roundTrip instanceof Boolean
        : original.getClass() == roundTrip.getClass();
    if (sameKind) {
      return;
    }
    if (original instanceof Number && roundTrip instanceof String s && s.equals(original.toString()) && isQuantity(path)) {
      return;
    }
    out.add(label(path) + ": wrong type: expected " + describe(roundTrip) + ", got " + describe(original) + " " + original);
  }

  private static boolean isQuantity(String path) {
    int dot = path.lastIndexOf('.');
    if (dot < 0) {
      return false;
    }
    String parent = path.substring(0, dot);
    String last = parent.substring(parent.lastIndexOf('.') + 1);
    return QUANTITY_PARENTS.contains(last) || path.endsWith(".sizeLimit");
  }

  private static String describe(Object v) {
    if (v == null) {
      return "nothing";
    }
    if (v instanceof Map<?, ?> || v instanceof JsonObject) {
      return "an object";
    }
    if (v instanceof List<?> || v instanceof JsonArray) {
      return "a list";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    return v.getClass().getSimpleName();
  }

  // ---- required fields

  /**
   * Every node the parent path reaches must hold the last key; {@code [*]} walks list elements,
   * {@code *Probe} matches any key ending in Probe, a {@code +} suffix also requires a non-empty value.
   */
  static void requirePath(Map<String, Object> root, String spec, List<String> out) {
    boolean nonEmpty = spec.endsWith("+");
    String path = nonEmpty ? spec.substring(0, spec.length() - 1) : spec;
    int dot = path.lastIndexOf('.');
    String parentPath = dot < 0 ? "" : path.substring(0, dot);
    String key = path.substring(dot + 1);
    for (Map.Entry<String, Object> parent : resolve(root, parentPath).entrySet()) {
      if (!(parent.getValue() instanceof Map<?, ?> map)) {
        continue;
      }
      Object v = map.get(key);
      String where = join(parent.getKey(), key);
      if (v == null) {
        out.add(where + ": missing required field");
      } else if (nonEmpty && ((v instanceof Map<?, ?> m && m.isEmpty()) || (v instanceof List<?> l && l.isEmpty())
          || (v instanceof String s && s.isEmpty()))) {
        out.add(where + ": must not be empty");
      }
    }
  }

  /** The nodes a path reaches, by their concrete path. */
  static Map<String, Object> resolve(Object root, String path) {
    Map<String, Object> current = new LinkedHashMap<>();
    current.put("", root);
    if (path.isEmpty()) {
      return current;
    }
    for (String segment : path.split("\\.")) {
      boolean each = segment.endsWith("[*]");
      String name = each ? segment.substring(0, segment.length() - 3) : segment;
      Map<String, Object> next = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : current.entrySet()) {
        if (!(e.getValue() instanceof Map<?, ?> map)) {
          continue;
        }
        for (Map.Entry<?, ?> child : map.entrySet()) {
          String k = String.valueOf(child.getKey());
          boolean match = name.startsWith("*") ? k.endsWith(name.substring(1)) : k.equals(name);
          if (!match || child.getValue() == null) {
            continue;
          }
          String p = join(e.getKey(), k);
          if (each) {
            if (child.getValue() instanceof List<?> list) {
              for (int i = 0; i < list.size(); i++) {
                next.put(p + "[" + i + "]", list.get(i));
              }
            }
          } else {
            next.put(p, child.getValue());
          }
        }
      }
      current = next;
    }
    return current;
  }

  private static String join(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  private static String label(String path) {
    return path.isEmpty() ? "(root)" : path;
  }
}
