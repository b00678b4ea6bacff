import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.strimzi.api.kafka.Crds;
import io.strimzi.api.kafka.model.common.UnknownPropertyPreserving;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import io.strimzi.api.kafka.model.user.KafkaUser;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strimzi's own definitions, from io.strimzi:api, for the tests (run as a single source file):
 *   write DIR        writes the KafkaTopic and KafkaUser CRDs (Crds class) as YAML into DIR
 *   check FILE...    reads each JSON object (a KafkaTopic or KafkaUser) into Strimzi's model and
 *                    fails, naming the path, on any property the model does not know (Strimzi's
 *                    classes keep unknown properties aside instead of refusing them)
 */
public class StrimziCrds {
  public static void main(String[] args) throws Exception {
    if (args.length >= 2 && args[0].equals("write")) {
      Path dir = Path.of(args[1]);
      Files.createDirectories(dir);
      write(dir.resolve("kafkatopics.kafka.strimzi.io.yaml"), Crds.kafkaTopic());
      write(dir.resolve("kafkausers.kafka.strimzi.io.yaml"), Crds.kafkaUser());
      return;
    }
    if (args.length >= 2 && args[0].equals("check")) {
      ObjectMapper mapper = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
      List<String> problems = new ArrayList<>();
      for (int i = 1; i < args.length; i++) {
        String json = Files.readString(Path.of(args[i]));
        Map<?, ?> raw = mapper.readValue(json, Map.class);
        Object kind = raw.get("kind");
        Object model;
        if ("KafkaTopic".equals(kind)) model = mapper.readValue(json, KafkaTopic.class);
        else if ("KafkaUser".equals(kind)) model = mapper.readValue(json, KafkaUser.class);
        else throw new IllegalArgumentException(args[i] + ": kind " + kind + " is not KafkaTopic or KafkaUser");
        unknown(model, kind + "/" + args[i], problems, new IdentityHashMap<>());
      }
      if (!problems.isEmpty()) {
        System.err.println(String.join("\n", problems));
        System.exit(1);
      }
      System.out.println("ok");
      return;
    }
    System.err.println("usage: StrimziCrds write DIR | check FILE...");
    System.exit(2);
  }

  private static void write(Path file, CustomResourceDefinition crd) throws Exception {
    Files.writeString(file, Serialization.asYaml(crd));
  }

  /** Every non-empty additionalProperties map below the model object, as "path: keys". */
  private static void unknown(Object o, String path, List<String> out, IdentityHashMap<Object, Boolean> seen)
      throws Exception {
    if (o == null || seen.containsKey(o)) return;
    seen.put(o, true);
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) unknown(e, path + "[" + i++ + "]", out, seen);
      return;
    }
    if (!o.getClass().getName().startsWith("io.strimzi.")) return;
    if (o instanceof UnknownPropertyPreserving u && u.getAdditionalProperties() != null
        && !u.getAdditionalProperties().isEmpty()) {
      out.add(path + ": unknown properties " + u.getAdditionalProperties().keySet());
    }
    for (Method m : o.getClass().getMethods()) {
      if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")
          || m.getName().equals("getAdditionalProperties")) continue;
      Object v;
      try {
        v = m.invoke(o);
      } catch (Exception e) {
        continue;
      }
      unknown(v, path + "." + m.getName().substring(3), out, seen);
    }
  }
}
