package dev.hyperc.compiler.ir;

/** The type of an IR value: element type and static shape, printed as {@code f32[B,16]}. */
public record TensorType(DType dtype, Shape shape) {
    public static TensorType f32(Shape s) { return new TensorType(DType.F32, s); }

    public static TensorType i32(Shape s) { return new TensorType(DType.I32, s); }

    public int rank() { return shape.rank(); }

    public TensorType withShape(Shape s) { return new TensorType(dtype, s); }

    public static TensorType parse(String text) {
        String t = text.trim();
        int b = t.indexOf('[');
        if (b < 0) throw new IllegalArgumentException("bad type " + text);
        return new TensorType(DType.parse(t.substring(0, b)), Shape.parse(t.substring(b)));
    }

    @Override
    public String toString() { return dtype.text() + shape; }
}
