package dev.apexpulse.k8s;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A container's environment as the kubelet builds it: downward-API fields filled in, $(VAR) expanded. */
final class K8sEnv {
  static final String POD_NAME = "apex-pulse-5d8f7c9b6-x2k4q";
  static final String NAMESPACE = "default";
  private static final Pattern REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");

  private K8sEnv() {}

  static Map<String, String> values(Container c) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar v : c.getEnv()) {
      String value;
      if (v.getValueFrom() != null && v.getValueFrom().getFieldRef() != null) {
        value = switch (v.getValueFrom().getFieldRef().getFieldPath()) {
          case "metadata.name" -> POD_NAME;
          case "metadata.namespace" -> NAMESPACE;
          default -> throw new AssertionError("unexpected fieldRef " + v.getValueFrom().getFieldRef().getFieldPath());
        };
      } else if (v.getValueFrom() != null) {
        throw new AssertionError(v.getName() + ": only fieldRef is modelled here");
      } else {
        // only variables defined earlier in the list are expanded, as the kubelet does
        Matcher m = REF.matcher(v.getValue() == null ? "" : v.getValue());
        StringBuilder b = new StringBuilder();
        while (m.find()) {
          String ref = env.get(m.group(1));
          m.appendReplacement(b, Matcher.quoteReplacement(ref == null ? m.group() : ref));
        }
        m.appendTail(b);
        value = b.toString();
      }
      env.put(v.getName(), value);
    }
    return env;
  }
}
