package dev.hyperc.compiler.front;

import dev.hyperc.compiler.ir.IrModule;
import java.util.List;

/** Everything the front end produces for one model file. {@code train} is null when the file has no train block. */
public record CompiledModel(String name, IrModule ir, Summary summary, TrainConfig train, List<String> outputs) {}
