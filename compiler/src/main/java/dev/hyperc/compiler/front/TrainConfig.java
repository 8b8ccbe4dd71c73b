package dev.hyperc.compiler.front;

import java.util.List;
import java.util.Map;

/**
 * The model's training block, checked. Command-line flags override these fields by name
 * ({@code --epochs}, {@code --batch}, {@code --seed}, {@code --lr}).
 */
public record TrainConfig(
        String loss,
        List<String> metrics,
        Optimizer optimizer,
        int batch,
        int epochs,
        long seed,
        List<Dataset> data,
        Schedule schedule,
        double clipNorm) {

    public enum Schedule {
        /** One epoch over each dataset in turn, as the Lux multi-task tutorial does. */
        ALTERNATE,
        /** Batches of every dataset interleaved within an epoch. */
        INTERLEAVE;

        public String text() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    public record Optimizer(String kind, double lr, double beta1, double beta2, double eps, double momentum, double weightDecay) {}

    /** A dataset by name with its arguments (sizes, task id, input bindings), kept as written. */
    public record Dataset(String name, Map<String, Object> args) {}

    static final List<String> OPTIMIZERS = List.of("adam", "adamw", "sgd");
    static final List<String> DATASETS = List.of("mnist", "fashion_mnist", "teacher", "text");
}
