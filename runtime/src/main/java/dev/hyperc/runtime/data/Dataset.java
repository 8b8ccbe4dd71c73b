package dev.hyperc.runtime.data;

import java.util.Map;

/**
 * A dataset named in a model's {@code train} block ({@code mnist}, {@code fashion_mnist},
 * {@code teacher}, {@code text}), opened by {@link Datasets#open}, with its train and test splits.
 *
 * <p>Every dataset provides the fields {@code x} (images, inputs, characters) and {@code y}
 * (labels, targets, next characters), plus {@code task} when the model file gives a
 * {@code task:} id. {@link #bindings()} says which model input each field feeds.
 */
public interface Dataset {
    /** The dataset's name as written in the model file, e.g. {@code "mnist"}. */
    String name();

    Split train();

    Split test();

    /**
     * Which model input each field feeds: field name to input name. A field feeds the input of its
     * own name unless the model file renames it, e.g. {@code mnist(x: img)} makes field {@code x}
     * feed input {@code img}.
     */
    Map<String, String> bindings();

    /** The {@code task:} id the model file gave, or {@code -1}. */
    default int task() { return -1; }

    /** A one-line description, e.g. {@code "mnist (task 0): 8000 train, 2000 test"}. */
    default String describe() {
        return name() + (task() >= 0 ? " (task " + task() + ")" : "") + ": " + train().size() + " train, " + test().size() + " test";
    }
}
