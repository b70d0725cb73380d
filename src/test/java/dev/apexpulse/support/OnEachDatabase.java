package dev.apexpulse.support;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.params.ParameterInfo;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The database suite: the annotated class runs once for each {@link DatabaseUnderTest}, which its
 * constructor (a record component) and its {@code @BeforeParameterizedClassInvocation} method receive.
 * On a database that is not here (no PostgreSQL binaries outside CI, no {@code PULSE_TEST_ORACLE_URL})
 * every test of that run is skipped (counted as skipped, never as passed; one line says why), and
 * the class's set-up must do nothing: it starts with {@code if (database.missing() != null) return;}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedClass(name = "[{index}] {0}")
@EnumSource(DatabaseUnderTest.class)
@ExtendWith(OnEachDatabase.WhenAvailable.class)
public @interface OnEachDatabase {

  /**
   * Disables each test of a run on a database that is not here (the tests, not the run: surefire
   * counts skipped tests, not skipped runs of a class).
   */
  final class WhenAvailable implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      ParameterInfo info = ParameterInfo.get(context);
      if (context.getTestMethod().isEmpty() || info == null || !(info.getArguments().get(0) instanceof DatabaseUnderTest database)) {
        return ConditionEvaluationResult.enabled("not a run on a database");
      }
      String missing = database.missing();
      return missing == null ? ConditionEvaluationResult.enabled(database + " is here") : ConditionEvaluationResult.disabled(missing);
    }
  }
}
