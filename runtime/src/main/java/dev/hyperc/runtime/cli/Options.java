package dev.hyperc.runtime.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The launcher's command line, parsed and checked. Overrides are null when not given. */
record Options(
        Path model,
        Emit emit,
        Device device,
        Integer epochs,
        Integer batch,
        Long seed,
        Double lr,
        Integer threads,
        Path checkpoint,
        boolean resume,
        Path export,
        boolean json,
        boolean gradcheck,
        boolean bench,
        boolean help,
        boolean version) {

    enum Emit {
        IR, SUMMARY, GRAD_IR, KERNELS;

        String text() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }
    }

    enum Device {
        AUTO, CPU, OPENCL;

        String text() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Every flag with its help text, in the order --help lists them. */
    static final Map<String, String> FLAGS = new LinkedHashMap<>();

    static {
        FLAGS.put("--emit WHAT", "print instead of training: ir (the graph IR), summary (layer table), grad-ir (training step IR), kernels (generated OpenCL C)");
        FLAGS.put("--device D", "auto (default: OpenCL if a platform exists, else CPU), cpu, or opencl");
        FLAGS.put("--epochs N", "override the train block's epochs");
        FLAGS.put("--batch N", "override the train block's batch size");
        FLAGS.put("--seed N", "override the train block's seed");
        FLAGS.put("--lr X", "override the optimizer's learning rate");
        FLAGS.put("--threads N", "CPU backend threads (default: all cores)");
        FLAGS.put("--checkpoint DIR", "write a checkpoint to DIR after every epoch");
        FLAGS.put("--resume", "continue from the checkpoint in --checkpoint DIR");
        FLAGS.put("--export FILE", "after training, write the generated target weights to FILE (safetensors)");
        FLAGS.put("--json", "print machine-readable results as JSON");
        FLAGS.put("--gradcheck", "check the model's gradients by finite differences on small shapes");
        FLAGS.put("--bench", "measure training and inference samples/s on synthetic inputs (uses --batch, --threads)");
        FLAGS.put("--help", "print this help");
        FLAGS.put("--version", "print the compiler and language versions");
    }

    static Options parse(String[] args) throws UsageError {
        Path model = null;
        Emit emit = null;
        Device device = Device.AUTO;
        Integer epochs = null, batch = null, threads = null;
        Long seed = null;
        Double lr = null;
        Path checkpoint = null, export = null;
        boolean resume = false, json = false, gradcheck = false, bench = false, help = false, version = false;
        List<String> rest = new ArrayList<>(List.of(args));
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            String inline = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                inline = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--help", "-h" -> help = true;
                case "--version" -> version = true;
                case "--resume" -> resume = true;
                case "--json" -> json = true;
                case "--gradcheck" -> gradcheck = true;
                case "--bench" -> bench = true;
                case "--emit" -> emit = choice(a, value(rest, i++, a, inline), Emit.values());
                case "--device" -> device = choice(a, value(rest, i++, a, inline), Device.values());
                case "--epochs" -> epochs = (int) number(a, value(rest, i++, a, inline), 1, 1_000_000);
                case "--batch" -> batch = (int) number(a, value(rest, i++, a, inline), 1, 1 << 20);
                case "--threads" -> threads = (int) number(a, value(rest, i++, a, inline), 1, 4096);
                case "--seed" -> seed = number(a, value(rest, i++, a, inline), Long.MIN_VALUE, Long.MAX_VALUE);
                case "--lr" -> {
                    String v = value(rest, i++, a, inline);
                    try {
                        lr = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        throw new UsageError("--lr needs a number, got '" + v + "'");
                    }
                    if (!(lr > 0 && lr < 10)) throw new UsageError("--lr must be in (0, 10), got " + v);
                }
                case "--checkpoint" -> checkpoint = Path.of(value(rest, i++, a, inline));
                case "--export" -> export = Path.of(value(rest, i++, a, inline));
                default -> {
                    if (a.startsWith("-")) throw new UsageError("unknown option '" + a + "'");
                    if (model != null) throw new UsageError("only one model file can be given (got '" + model + "' and '" + a + "')");
                    model = Path.of(a);
                }
            }
            if (inline != null && (a.equals("--resume") || a.equals("--json") || a.equals("--gradcheck") || a.equals("--bench") || a.equals("--help"))) {
                throw new UsageError(a + " takes no value");
            }
        }
        if (!help && !version && model == null) throw new UsageError("no model file given");
        if (resume && checkpoint == null) throw new UsageError("--resume needs --checkpoint DIR");
        return new Options(model, emit, device, epochs, batch, seed, lr, threads, checkpoint, resume, export, json, gradcheck, bench, help, version);
    }

    private static String value(List<String> args, int i, String flag, String inline) throws UsageError {
        if (inline != null) {
            if (inline.isEmpty()) throw new UsageError(flag + " needs a value");
            return inline;
        }
        if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) throw new UsageError(flag + " needs a value");
        return args.get(i + 1);
    }

    private static long number(String flag, String v, long min, long max) throws UsageError {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new UsageError(flag + " needs a whole number, got '" + v + "'");
        }
        if (n < min || n > max) throw new UsageError(flag + " must be between " + min + " and " + max + ", got " + n);
        return n;
    }

    private static <E extends Enum<E>> E choice(String flag, String v, E[] values) throws UsageError {
        List<String> names = new ArrayList<>();
        for (E e : values) {
            String t = e.name().toLowerCase(Locale.ROOT).replace('_', '-');
            names.add(t);
            if (t.equals(v)) return e;
        }
        throw new UsageError(flag + " must be one of " + String.join(", ", names) + "; got '" + v + "'");
    }

    static String helpText() {
        StringBuilder out = new StringBuilder();
        out.append("usage: compile-and-run MODEL.hyper [options]\n\n");
        out.append("Compiles a hyperc model and trains it (or prints what the compiler made of it).\n\n");
        out.append("options:\n");
        for (Map.Entry<String, String> f : FLAGS.entrySet()) out.append(String.format(Locale.ROOT, "  %-18s %s%n", f.getKey(), f.getValue()));
        out.append("\nexit status: 0 ok, 1 compile errors in the model, 2 bad command line, 3 environment problem, 4 a --gradcheck failed\n");
        return out.toString();
    }
}
