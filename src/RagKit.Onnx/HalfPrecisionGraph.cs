using System.Buffers.Binary;
using static RagKit.Onnx.OnnxNodes;

namespace RagKit.Onnx;

/// <summary>
/// Rewrites the embedded fp32 ONNX graph to fp16 for the CUDA provider: every float initializer, constant, cast target
/// and declared value type becomes float16, so the matrix products run on tensor cores and activations take half the
/// memory traffic. The graph's inputs (int64 token ids and masks) are unchanged; its float outputs become float16,
/// and <see cref="PoolingGraph"/> casts the token states back to float before pooling, so the sums over the sequence
/// and the normalization stay in fp32.
/// </summary>
/// <remarks>
/// Like <see cref="PoolingGraph"/> this needs no ONNX library: it walks the protobuf wire format and copies every
/// field it does not rewrite byte for byte. Constants outside float16's range (BERT's attention mask uses
/// <c>float.MinValue</c> or -10000 as "minus infinity") are clamped to ±65504 rather than becoming infinities,
/// which would turn <c>0 × -inf</c> into NaN.
/// </remarks>
internal static class HalfPrecisionGraph
{
    private const float HalfMax = 65504f;

    /// <summary>Returns the model with every float tensor and float type rewritten to float16.</summary>
    /// <param name="model">The serialized ONNX ModelProto.</param>
    public static byte[] Convert(byte[] model)
    {
        var writer = new ProtoWriter(model.Length);
        foreach (ProtoField field in new ProtoReader(model))
        {
            if (field.Number == 7 && field.WireType == 2)
            {
                writer.Bytes(7, ConvertGraph(field.Bytes));
            }
            else
            {
                writer.Raw(field.Encoded);
            }
        }

        return writer.ToArray();
    }

    // GraphProto: node = 1, initializer = 5, input = 11, output = 12, value_info = 13.
    private static byte[] ConvertGraph(ReadOnlySpan<byte> graph)
    {
        var writer = new ProtoWriter(graph.Length);
        foreach (ProtoField field in new ProtoReader(graph))
        {
            switch (field.Number)
            {
                case 1 when field.WireType == 2:
                    writer.Bytes(1, ConvertNode(field.Bytes));
                    break;
                case 5 when field.WireType == 2:
                    writer.Bytes(5, ConvertTensor(field.Bytes));
                    break;
                case 11 or 12 or 13 when field.WireType == 2:
                    writer.Bytes(field.Number, ConvertValueInfo(field.Bytes));
                    break;
                default:
                    writer.Raw(field.Encoded);
                    break;
            }
        }

        return writer.ToArray();
    }

    // NodeProto: op_type = 4, attribute = 5. Cast's "to" and tensor-valued attributes (Constant, ConstantOfShape)
    // follow the graph to float16.
    private static byte[] ConvertNode(ReadOnlySpan<byte> node)
    {
        bool isCast = false;
        foreach (ProtoField field in new ProtoReader(node))
        {
            if (field.Number == 4 && field.WireType == 2 && field.Bytes.SequenceEqual("Cast"u8))
            {
                isCast = true;
            }
        }

        var writer = new ProtoWriter();
        foreach (ProtoField field in new ProtoReader(node))
        {
            if (field.Number == 5 && field.WireType == 2)
            {
                writer.Bytes(5, ConvertAttribute(field.Bytes, isCast));
            }
            else
            {
                writer.Raw(field.Encoded);
            }
        }

        return writer.ToArray();
    }

    // AttributeProto: name = 1, i = 3, t = 5.
    private static byte[] ConvertAttribute(ReadOnlySpan<byte> attribute, bool isCast)
    {
        bool isTo = false;
        foreach (ProtoField field in new ProtoReader(attribute))
        {
            if (field.Number == 1 && field.WireType == 2 && field.Bytes.SequenceEqual("to"u8))
            {
                isTo = true;
            }
        }

        var writer = new ProtoWriter();
        foreach (ProtoField field in new ProtoReader(attribute))
        {
            if (isCast && isTo && field.Number == 3 && field.WireType == 0 && field.Varint == FloatType)
            {
                writer.Varint(3, Float16Type);
            }
            else if (field.Number == 5 && field.WireType == 2)
            {
                writer.Bytes(5, ConvertTensor(field.Bytes));
            }
            else
            {
                writer.Raw(field.Encoded);
            }
        }

        return writer.ToArray();
    }

    // TensorProto: data_type = 2, float_data = 4 (packed or not), raw_data = 9.
    private static byte[] ConvertTensor(ReadOnlySpan<byte> tensor)
    {
        bool isFloat = false;
        foreach (ProtoField field in new ProtoReader(tensor))
        {
            if (field.Number == 2 && field.WireType == 0 && field.Varint == FloatType)
            {
                isFloat = true;
            }
        }

        if (!isFloat)
        {
            return tensor.ToArray();
        }

        // One of raw_data and float_data holds the values (a packed float_data, or one fixed32 field per value).
        var writer = new ProtoWriter(tensor.Length / 2 + 64);
        var halves = new MemoryStream(tensor.Length / 2);
        Span<byte> half = stackalloc byte[2];
        foreach (ProtoField field in new ProtoReader(tensor))
        {
            switch (field.Number)
            {
                case 2:
                    writer.Varint(2, Float16Type);
                    break;
                case 4 or 9 when field.WireType == 2:
                    byte[] converted = new byte[field.Bytes.Length / 2];
                    for (int i = 0; i + 4 <= field.Bytes.Length; i += 4)
                    {
                        BinaryPrimitives.WriteHalfLittleEndian(converted.AsSpan(i / 2), ToHalf(BinaryPrimitives.ReadSingleLittleEndian(field.Bytes[i..])));
                    }

                    halves.Write(converted);
                    break;
                case 4 when field.WireType == 5:
                    BinaryPrimitives.WriteHalfLittleEndian(half, ToHalf(BitConverter.Int32BitsToSingle((int)field.Varint)));
                    halves.Write(half);
                    break;
                default:
                    writer.Raw(field.Encoded);
                    break;
            }
        }

        byte[] raw = halves.ToArray();
        writer.Bytes(9, raw);
        return writer.ToArray();
    }

    private static Half ToHalf(float value) => (Half)(float.IsNaN(value) ? value : Math.Clamp(value, -HalfMax, HalfMax));

    // ValueInfoProto: type = 2 → TypeProto: tensor_type = 1 → TypeProto.Tensor: elem_type = 1.
    private static byte[] ConvertValueInfo(ReadOnlySpan<byte> valueInfo) =>
        RewriteNested(valueInfo, 2, type => RewriteNested(type, 1, tensorType =>
        {
            var writer = new ProtoWriter();
            foreach (ProtoField field in new ProtoReader(tensorType))
            {
                if (field.Number == 1 && field.WireType == 0 && field.Varint == FloatType)
                {
                    writer.Varint(1, Float16Type);
                }
                else
                {
                    writer.Raw(field.Encoded);
                }
            }

            return writer.ToArray();
        }));

    private delegate byte[] Rewrite(ReadOnlySpan<byte> message);

    private static byte[] RewriteNested(ReadOnlySpan<byte> message, int number, Rewrite rewrite)
    {
        var writer = new ProtoWriter();
        foreach (ProtoField field in new ProtoReader(message))
        {
            if (field.Number == number && field.WireType == 2)
            {
                writer.Bytes(number, rewrite(field.Bytes));
            }
            else
            {
                writer.Raw(field.Encoded);
            }
        }

        return writer.ToArray();
    }
}
