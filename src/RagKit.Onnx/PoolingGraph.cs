using System.Buffers.Binary;
using static RagKit.Onnx.OnnxNodes;

namespace RagKit.Onnx;

/// <summary>
/// Adds mean pooling and L2 normalization to the end of the embedded ONNX graph, so a session call returns
/// [batch, 384] sentence embeddings instead of [batch, sequence, 384] token states. On CUDA that keeps the token
/// states on the device (a batch of 128 × 256 tokens would otherwise copy 50 MB back per call) and the pooling runs
/// as kernels; on the CPU it saves a pass over the token states.
/// </summary>
/// <remarks>
/// No ONNX library is needed: a serialized protobuf message followed by a second one parses as their merge, so
/// appending a ModelProto whose graph holds only the new nodes, constants and output extends the original graph.
/// The nodes use opset-13 signatures (Unsqueeze and ReduceSum take their axes as inputs, ReduceL2 as an attribute),
/// the opset the embedded model declares.
/// </remarks>
internal static class PoolingGraph
{
    /// <summary>The name of the added [batch, 384] output.</summary>
    public const string OutputName = "ragkit_sentence_embedding";

    private const string Prefix = "ragkit_pool_";


    /// <summary>Returns the model with the pooling nodes and <see cref="OutputName"/> appended.</summary>
    /// <param name="model">The serialized ONNX ModelProto.</param>
    /// <param name="hiddenOutput">The [batch, sequence, hidden] output to pool.</param>
    /// <param name="maskInput">The int64 [batch, sequence] attention mask input (1 for real tokens, 0 for padding).</param>
    /// <param name="hidden">The hidden size (the last dimension of the pooled output).</param>
    /// <param name="hiddenIsHalf">Whether <paramref name="hiddenOutput"/> is float16 (<see cref="HalfPrecisionGraph"/>):
    /// it is cast to float first, so the sum over the sequence and the normalization run in fp32.</param>
    public static byte[] Append(byte[] model, string hiddenOutput, string maskInput, int hidden, bool hiddenIsHalf = false)
    {
        var graph = new ProtoWriter();
        if (hiddenIsHalf)
        {
            string hiddenFloat = Prefix + "hidden_float";
            graph.Message(1, Node("Cast", [hiddenOutput], [hiddenFloat], attributes: [IntAttr("to", FloatType)]));
            hiddenOutput = hiddenFloat;
        }

        string maskFloat = Prefix + "mask_float", mask3d = Prefix + "mask_3d", masked = Prefix + "masked";
        string summed = Prefix + "sum", norm = Prefix + "norm", safeNorm = Prefix + "norm_safe";
        string lastAxis = Prefix + "axis_last", sequenceAxis = Prefix + "axis_sequence", epsilon = Prefix + "epsilon";

        graph.Message(1, Node("Cast", [maskInput], [maskFloat], attributes: [IntAttr("to", FloatType)]));
        graph.Message(1, Node("Unsqueeze", [maskFloat, lastAxis], [mask3d]));
        graph.Message(1, Node("Mul", [hiddenOutput, mask3d], [masked]));
        graph.Message(1, Node("ReduceSum", [masked, sequenceAxis], [summed], attributes: [IntAttr("keepdims", 0)]));

        // Dividing the sum by the token count does not change its direction, so normalizing the sum suffices. The
        // floor keeps an all-zero sum at zero (0 / epsilon) instead of NaN, as the host pooling does.
        graph.Message(1, Node("ReduceL2", [summed], [norm], attributes: [IntsAttr("axes", 1), IntAttr("keepdims", 1)]));
        graph.Message(1, Node("Max", [norm, epsilon], [safeNorm]));
        graph.Message(1, Node("Div", [summed, safeNorm], [OutputName]));

        graph.Message(5, Int64Scalar1D(lastAxis, -1));
        graph.Message(5, Int64Scalar1D(sequenceAxis, 1));
        graph.Message(5, FloatScalar(epsilon, 1e-12f));
        graph.Message(12, FloatValueInfo(OutputName, ["batch"], hidden));

        var appended = new ProtoWriter();
        appended.Message(7, graph);
        byte[] tail = appended.ToArray();

        var result = new byte[model.Length + tail.Length];
        model.CopyTo(result, 0);
        tail.CopyTo(result, model.Length);
        return result;
    }

    private static ProtoWriter Int64Scalar1D(string name, long value)
    {
        var tensor = new ProtoWriter();
        tensor.Varint(1, 1);
        tensor.Varint(2, Int64Type);
        tensor.String(8, name);
        byte[] raw = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(raw, value);
        tensor.Bytes(9, raw);
        return tensor;
    }

    private static ProtoWriter FloatScalar(string name, float value)
    {
        var tensor = new ProtoWriter();
        tensor.Varint(2, FloatType);
        tensor.String(8, name);
        byte[] raw = new byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(raw, value);
        tensor.Bytes(9, raw);
        return tensor;
    }

}
