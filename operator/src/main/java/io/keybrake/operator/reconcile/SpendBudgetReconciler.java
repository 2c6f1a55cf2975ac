package io.keybrake.operator.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.keybrake.core.budget.Budget;
import io.keybrake.core.budget.BudgetLimits;
import io.keybrake.core.budget.BudgetStore;
import io.keybrake.core.ledger.BudgetLimit;
import io.keybrake.core.ledger.Ledger;
import io.keybrake.core.money.Micros;
import io.keybrake.operator.crd.KeybrakeStatus;
import io.keybrake.operator.crd.SpendBudget;
import io.keybrake.operator.crd.SpendBudgetSpec;
import io.keybrake.operator.crd.SpendStatus;
import io.keybrake.operator.policy.PolicyResolver;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the registry hold a {@link SpendBudget} as the budget {@code k8s.<namespace>.<name>}, and
 * keeps its status spend current. A label selector is narrowed to keys of the budget's namespace,
 * so a team cannot cap another team's keys; a vendor-wide budget covers every namespace and is
 * therefore accepted only in the control plane's own namespace. Registry budgets cannot change or
 * be deleted, so a SpendBudget is immutable (its CRD says so) and deleting it leaves the budget
 * enforced, which the log says. Safe to call from one thread at a time.
 */
public final class SpendBudgetReconciler {
  private static final Logger LOG = LoggerFactory.getLogger(SpendBudgetReconciler.class);

  private final KubernetesClient client;
  private final BudgetStore store;
  private final Ledger ledger;
  private final Clock clock;
  private final String platformNamespace;

  public SpendBudgetReconciler(
      KubernetesClient client,
      BudgetStore store,
      Ledger ledger,
      Clock clock,
      String platformNamespace) {
    this.client = Objects.requireNonNull(client);
    this.store = Objects.requireNonNull(store);
    this.ledger = Objects.requireNonNull(ledger);
    this.clock = Objects.requireNonNull(clock);
    this.platformNamespace = Objects.requireNonNull(platformNamespace);
  }

  /** The registry name of a SpendBudget. */
  public static String budgetName(String namespace, String name) {
    return "k8s." + namespace + "." + name;
  }

  public void reconcile(String namespace, String name) {
    SpendBudget sb =
        client.resources(SpendBudget.class).inNamespace(namespace).withName(name).get();
    if (sb == null || sb.getSpec() == null) {
      return;
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.MILLIS);
    long generation =
        sb.getMetadata().getGeneration() == null ? 0 : sb.getMetadata().getGeneration();
    SpendStatus status =
        sb.getStatus() == null
            ? new SpendStatus()
            : StatusJson.copy(sb.getStatus(), SpendStatus.class);
    Budget wanted;
    try {
      wanted = budget(namespace, name, sb.getSpec(), now);
    } catch (IllegalArgumentException e) {
      Conditions.set(
          status, KeybrakeStatus.ACCEPTED, false, "InvalidBudget", e.getMessage(), generation, now);
      Conditions.set(
          status, KeybrakeStatus.READY, false, "InvalidBudget", e.getMessage(), generation, now);
      status.setPhase("Invalid");
      write(sb, status);
      return;
    }
    Optional<Budget> existing =
        store.list().stream().filter(b -> b.name().equals(wanted.name())).findFirst();
    Budget held = existing.orElse(null);
    if (held == null) {
      try {
        store.create(wanted);
        held = wanted;
        LOG.info("k8s: created budget {}", wanted.name());
      } catch (IllegalStateException raced) {
        held =
            store.list().stream()
                .filter(b -> b.name().equals(wanted.name()))
                .findFirst()
                .orElseThrow();
      }
    }
    boolean same = sameLimits(held, wanted);
    Conditions.set(
        status, KeybrakeStatus.ACCEPTED, true, "Valid", "budget " + wanted.name(), generation, now);
    Conditions.set(
        status,
        KeybrakeStatus.READY,
        same,
        same ? "BudgetEnforced" : "BudgetDiffers",
        same
            ? "the registry enforces budget " + held.name()
            : "the registry holds a different budget " + held.name() + "; it cannot change",
        generation,
        now);
    BudgetLimit first = BudgetLimits.limitsOf(held, now).get(0);
    long spent = ledger.counter(first).totalMicros();
    status.setSpentUsd(Micros.toUsd(spent).toPlainString());
    status.setCapUsd(Micros.toUsd(first.capMicros()).toPlainString());
    status.setRemainingUsd(Micros.toUsd(Math.max(0, first.capMicros() - spent)).toPlainString());
    status.setPhase(same ? "Active" : "Conflict");
    write(sb, status);
  }

  /** Told by the informer: the registry keeps enforcing a deleted budget. */
  public void deleted(SpendBudget sb) {
    LOG.warn(
        "k8s: SpendBudget {}/{} deleted; the registry keeps enforcing budget {} (budgets cannot"
            + " be deleted from the registry)",
        sb.getMetadata().getNamespace(),
        sb.getMetadata().getName(),
        budgetName(sb.getMetadata().getNamespace(), sb.getMetadata().getName()));
  }

  private Budget budget(String namespace, String name, SpendBudgetSpec spec, Instant now) {
    if (spec.getSelector() == null) {
      throw new IllegalArgumentException("selector is required");
    }
    Map<String, String> labels = new TreeMap<>();
    Optional<String> vendor = Optional.ofNullable(spec.getSelector().getVendor());
    if (vendor.isPresent()) {
      if (!namespace.equals(platformNamespace)) {
        throw new IllegalArgumentException(
            "a vendor-wide budget covers every namespace; create it in " + platformNamespace);
      }
    } else {
      if (spec.getSelector().getLabels() != null) {
        labels.putAll(spec.getSelector().getLabels());
      }
      labels.put(PolicyResolver.NAMESPACE_LABEL, namespace);
    }
    return new Budget(
        budgetName(namespace, name),
        labels,
        vendor,
        micros(spec.getDailyUsdCap()),
        micros(spec.getMonthlyUsdCap()),
        now);
  }

  private static OptionalLong micros(String usd) {
    if (usd == null) {
      return OptionalLong.empty();
    }
    try {
      long m = Micros.fromUsd(new BigDecimal(usd));
      if (m <= 0) {
        throw new IllegalArgumentException("caps must be greater than 0");
      }
      return OptionalLong.of(m);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("caps must be decimal US dollars such as \"500.00\"");
    }
  }

  private static boolean sameLimits(Budget a, Budget b) {
    return a.labels().equals(b.labels())
        && a.vendor().equals(b.vendor())
        && a.dailyCapMicros().equals(b.dailyCapMicros())
        && a.monthlyCapMicros().equals(b.monthlyCapMicros());
  }

  private void write(SpendBudget sb, SpendStatus status) {
    if (StatusJson.same(sb.getStatus(), status)) {
      return;
    }
    sb.setStatus(status);
    sb.getMetadata().setResourceVersion(null); // the status is ours alone: no optimistic lock
    client
        .resources(SpendBudget.class)
        .inNamespace(sb.getMetadata().getNamespace())
        .resource(sb)
        .patchStatus();
  }
}
