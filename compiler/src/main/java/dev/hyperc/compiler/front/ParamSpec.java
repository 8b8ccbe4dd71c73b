package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.Init;
import dev.hyperc.compiler.ir.Shape;

/**
 * One parameter a layer asks for. {@code filterAxis} is the axis that indexes output filters
 * (0 for a conv kernel [O, C, KH, KW], 1 for a dense weight [in, out]); -1 marks a bias, whose only
 * axis is the filter axis. Per-filter packing uses it to keep each filter's weights and bias together.
 */
record ParamSpec(String name, Shape shape, Init init, int filterAxis) {
    boolean isBias() { return filterAxis < 0; }
}
