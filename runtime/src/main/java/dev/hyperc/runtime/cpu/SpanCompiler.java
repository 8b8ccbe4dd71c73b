package dev.hyperc.runtime.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;
import static java.lang.constant.ConstantDescs.INIT_NAME;
import static java.lang.constant.ConstantDescs.MTD_void;

import dev.hyperc.compiler.ir.Op;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.List;

/**
 * Compiles a {@link SpanProgram} to JVM bytecode: one class whose {@code run} method is a single loop over the span,
 * every instruction a Vector API call on values kept in locals (so in registers once C2 compiles it), with a masked
 * last iteration for the tail. This is the CPU analogue of the OpenCL code generator: the interpreter in
 * {@link FusedLoop} makes one pass over scratch per operator, which costs ~4x more than one pass over memory for
 * a memory-bound kernel such as Adam's update of a generator head.
 *
 * <p>The generated code is exactly what javac would emit for the equivalent hand-written Vector API loop, and uses
 * only exactly rounded operations, so its results equal the interpreter's bit for bit, compiled or not. The class is
 * a hidden class of this package, so it is unloaded with its kernel.
 */
final class SpanCompiler {
    private SpanCompiler() {}

    /**
     * A compiled span: arrays and per-span offsets per stream, scalars by slot, and the span length. {@code run}
     * covers whole vectors and returns where it stopped; {@code tail} does lanes [from, len) in one masked vector.
     * They are two methods so that the hot loop stays small enough for the JIT's first tier, which gives up on
     * methods with too many values and would otherwise delay the optimising compile.
     */
    interface CompiledSpan {
        int run(float[][] arrays, int[] offsets, float[] scalars, int len);

        void tail(float[][] arrays, int[] offsets, float[] scalars, int from, int len);

        default void span(float[][] arrays, int[] offsets, float[] scalars, int len) {
            int done = run(arrays, offsets, scalars, len);
            if (done < len) tail(arrays, offsets, scalars, done, len);
        }
    }

    /**
     * Longest program compiled. The JIT's first tier gives up on a method with too many values ("out of virtual
     * registers"), and HotSpot then may not promote it to the optimising compiler at all, which leaves the Vector
     * API on its slow path. Adam's three parts are ~30 instructions; longer groups stay on the interpreter.
     */
    static final int MAX_INSNS = 64;

    /**
     * Smallest kernel compiled. Each compiled kernel is its own class, which the JIT must warm up on its own (it runs
     * on the Vector API's slow path until then), and it warms up only as fast as it is called: a kernel of a few
     * spans per step would stay slow for hundreds of steps. Large kernels, where memory passes cost the most,
     * warm up within a few steps; smaller ones share the interpreter's loops, which are warm from the start.
     */
    static final long MIN_ELEMENTS = 1L << 14;

    private static final ClassDesc FV = ClassDesc.of("jdk.incubator.vector.FloatVector");
    private static final ClassDesc V = ClassDesc.of("jdk.incubator.vector.Vector");
    private static final ClassDesc VM = ClassDesc.of("jdk.incubator.vector.VectorMask");
    private static final ClassDesc VS = ClassDesc.of("jdk.incubator.vector.VectorSpecies");
    private static final ClassDesc VO = ClassDesc.of("jdk.incubator.vector.VectorOperators");
    private static final ClassDesc CMP = ClassDesc.of("jdk.incubator.vector.VectorOperators$Comparison");
    private static final ClassDesc FLOATS = CD_float.arrayType();
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(CD_int, FLOATS.arrayType(), CD_int.arrayType(), FLOATS, CD_int);
    private static final MethodTypeDesc TAIL = MethodTypeDesc.of(CD_void, FLOATS.arrayType(), CD_int.arrayType(), FLOATS, CD_int, CD_int);
    private static final MethodTypeDesc V_TO_FV = MethodTypeDesc.of(FV, V);
    private static final MethodTypeDesc TO_FV = MethodTypeDesc.of(FV);
    private static final MethodTypeDesc COMPARE = MethodTypeDesc.of(VM, CMP, V);
    private static final MethodTypeDesc BLEND = MethodTypeDesc.of(FV, V, VM);

    static CompiledSpan compile(SpanProgram p) {
        byte[] bytes = ClassFile.of().build(ClassDesc.of(SpanCompiler.class.getPackageName() + ".GeneratedSpan"), cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withInterfaceSymbols(ClassDesc.of(CompiledSpan.class.getName()));
            cb.withMethodBody(INIT_NAME, MTD_void, ClassFile.ACC_PUBLIC,
                    c -> c.aload(0).invokespecial(CD_Object, INIT_NAME, MTD_void).return_());
            cb.withMethodBody("run", RUN, ClassFile.ACC_PUBLIC, c -> new Emitter(c, p).emit(false));
            cb.withMethodBody("tail", TAIL, ClassFile.ACC_PUBLIC, c -> new Emitter(c, p).emit(true));
        });
        try {
            MethodHandles.Lookup l = MethodHandles.lookup().defineHiddenClass(bytes, true);
            return (CompiledSpan) l.findConstructor(l.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            throw new IllegalStateException("could not load the compiled elementwise loop for " + p.insns(), t);
        }
    }

    private static final class Emitter {
        private final CodeBuilder c;
        private final SpanProgram p;
        private final int species, zero, one, minNormal, j;
        private final int[] arrays, offsets, scalars, alphas;

        Emitter(CodeBuilder c, SpanProgram p) {
            this.c = c;
            this.p = p;
            species = c.allocateLocal(TypeKind.REFERENCE);
            zero = c.allocateLocal(TypeKind.REFERENCE);
            one = c.allocateLocal(TypeKind.REFERENCE);
            minNormal = c.allocateLocal(TypeKind.REFERENCE);
            j = c.allocateLocal(TypeKind.INT);
            int ns = p.streams().size();
            arrays = new int[ns];
            offsets = new int[ns];
            scalars = new int[p.scalars()];
            alphas = new int[p.insns().size()];
        }

        /** The vector loop ({@code tail} false) or the one masked vector at the end. */
        void emit(boolean tail) {
            c.getstatic(FV, "SPECIES_PREFERRED", VS).astore(species);
            broadcast(() -> c.fconst_0(), zero);
            broadcast(() -> c.fconst_1(), one);
            broadcast(() -> c.loadConstant(Float.MIN_NORMAL), minNormal);
            for (int s = 0; s < arrays.length; s++) {
                arrays[s] = c.allocateLocal(TypeKind.REFERENCE);
                c.aload(c.parameterSlot(0)).loadConstant(s).aaload().astore(arrays[s]);
                offsets[s] = c.allocateLocal(TypeKind.INT);
                c.aload(c.parameterSlot(1)).loadConstant(s).iaload().istore(offsets[s]);
            }
            for (int k = 0; k < scalars.length; k++) {
                scalars[k] = c.allocateLocal(TypeKind.REFERENCE);
                int slot = k;
                broadcast(() -> c.aload(c.parameterSlot(2)).loadConstant(slot).faload(), scalars[k]);
            }
            List<SpanProgram.Insn> insns = p.insns();
            for (int i = 0; i < insns.size(); i++) {
                if (insns.get(i) instanceof SpanProgram.Leaky lr) {
                    alphas[i] = c.allocateLocal(TypeKind.REFERENCE);
                    broadcast(() -> c.loadConstant(lr.alpha()), alphas[i]);
                }
            }
            if (tail) {
                int mask = c.allocateLocal(TypeKind.REFERENCE);
                c.iload(c.parameterSlot(3)).istore(j);
                c.aload(species).iload(j).iload(c.parameterSlot(4)).invokeinterface(VS, "indexInRange", MethodTypeDesc.of(VM, CD_int, CD_int)).astore(mask);
                body(mask);
                c.return_();
                return;
            }
            int bound = c.allocateLocal(TypeKind.INT), step = c.allocateLocal(TypeKind.INT);
            c.aload(species).iload(c.parameterSlot(3)).invokeinterface(VS, "loopBound", MethodTypeDesc.of(CD_int, CD_int)).istore(bound);
            c.aload(species).invokeinterface(VS, "length", MethodTypeDesc.of(CD_int)).istore(step);
            c.iconst_0().istore(j);
            Label loop = c.newBoundLabel(), end = c.newLabel();
            c.iload(j).iload(bound).if_icmpge(end);
            body(-1);
            c.iload(j).iload(step).iadd().istore(j).goto_(loop);
            c.labelBinding(end);
            c.iload(j).ireturn();
        }

        private void broadcast(Runnable pushFloat, int into) {
            c.aload(species);
            pushFloat.run();
            c.invokestatic(FV, "broadcast", MethodTypeDesc.of(FV, VS, CD_float)).astore(into);
        }

        /** One vector of lanes at j; {@code mask} ≥ 0: the tail, with loads and stores masked. */
        private void body(int mask) {
            List<SpanProgram.Insn> insns = p.insns();
            int[] val = new int[insns.size()];
            for (int i = 0; i < insns.size(); i++) {
                SpanProgram.Insn in = insns.get(i);
                if (in instanceof SpanProgram.Scalar s) {
                    val[i] = scalars[s.slot()];
                    continue;
                }
                if (in instanceof SpanProgram.Store st) {
                    c.aload(val[st.value()]).aload(arrays[st.stream()]).iload(offsets[st.stream()]).iload(j).iadd();
                    if (mask >= 0) c.aload(mask).invokevirtual(FV, "intoArray", MethodTypeDesc.of(CD_void, FLOATS, CD_int, VM));
                    else c.invokevirtual(FV, "intoArray", MethodTypeDesc.of(CD_void, FLOATS, CD_int));
                    continue;
                }
                switch (in) {
                    case SpanProgram.Load l -> {
                        c.aload(species).aload(arrays[l.stream()]).iload(offsets[l.stream()]).iload(j).iadd();
                        if (mask >= 0) c.aload(mask).invokestatic(FV, "fromArray", MethodTypeDesc.of(FV, VS, FLOATS, CD_int, VM));
                        else c.invokestatic(FV, "fromArray", MethodTypeDesc.of(FV, VS, FLOATS, CD_int));
                    }
                    case SpanProgram.Un u -> unary(u.fn(), val[u.x()]);
                    case SpanProgram.Leaky lr -> c.aload(val[lr.x()]).aload(val[lr.x()]).aload(alphas[i]).invokevirtual(FV, "mul", V_TO_FV)
                            .invokevirtual(FV, "max", V_TO_FV);
                    case SpanProgram.Bin b -> binary(b.fn(), val[b.a()], val[b.b()]);
                    case SpanProgram.Sel s -> {
                        // a.blend(b, c == 0)
                        c.aload(val[s.a()]).aload(val[s.b()]).aload(val[s.c()]);
                        c.getstatic(VO, "EQ", CMP).aload(zero).invokevirtual(FV, "compare", COMPARE);
                        c.invokevirtual(FV, "blend", BLEND);
                    }
                    case SpanProgram.Flush f -> {
                        // x.blend(x · 0, |x| < MIN_NORMAL): the interpreter's flush of what it stores (ElementwiseOps.flush)
                        c.aload(val[f.x()]).aload(val[f.x()]).aload(zero).invokevirtual(FV, "mul", V_TO_FV);
                        c.aload(val[f.x()]).invokevirtual(FV, "abs", TO_FV);
                        c.getstatic(VO, "LT", CMP).aload(minNormal).invokevirtual(FV, "compare", COMPARE).invokevirtual(FV, "blend", BLEND);
                    }
                    case SpanProgram.Scalar s -> throw new AssertionError();
                    case SpanProgram.Store s -> throw new AssertionError();
                }
                val[i] = c.allocateLocal(TypeKind.REFERENCE);
                c.astore(val[i]);
            }
        }

        private void unary(Op.UnaryFn fn, int x) {
            switch (fn) {
                case NEG -> c.aload(x).invokevirtual(FV, "neg", TO_FV);
                case ABS -> c.aload(x).invokevirtual(FV, "abs", TO_FV);
                case SQRT -> c.aload(x).invokevirtual(FV, "sqrt", TO_FV);
                case RELU -> c.aload(x).aload(zero).invokevirtual(FV, "max", V_TO_FV);
                case SQUARE -> c.aload(x).aload(x).invokevirtual(FV, "mul", V_TO_FV);
                case RECIP -> c.aload(one).aload(x).invokevirtual(FV, "div", V_TO_FV);
                case RSQRT -> c.aload(one).aload(x).invokevirtual(FV, "sqrt", TO_FV).invokevirtual(FV, "div", V_TO_FV);
                case STEP -> ones(x, "GT", zero);
                case EXP, LOG, TANH, SIGMOID -> throw new IllegalArgumentException(fn + " has no exactly rounded vector form");
            }
        }

        private void binary(Op.BinaryFn fn, int a, int b) {
            switch (fn) {
                case ADD, SUB, MUL, DIV, MAX, MIN -> c.aload(a).aload(b).invokevirtual(FV, fn.text(), V_TO_FV);
                case GT, GE, LT, LE, EQ -> ones(a, fn.name(), b);
                case POW -> throw new IllegalArgumentException("pow has no exactly rounded vector form");
            }
        }

        /** zero.blend(one, a CMP b): 1 where the comparison holds, else 0. */
        private void ones(int a, String cmp, int b) {
            int m = c.allocateLocal(TypeKind.REFERENCE);
            c.aload(a).getstatic(VO, cmp, CMP).aload(b).invokevirtual(FV, "compare", COMPARE).astore(m);
            c.aload(zero).aload(one).aload(m).invokevirtual(FV, "blend", BLEND);
        }
    }
}
