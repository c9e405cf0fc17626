using System.Buffers.Binary;
using System.Text;

namespace RagKit.Onnx;

/// <summary>One field of a protobuf message as read from the wire.</summary>
internal readonly ref struct ProtoField
{
    public ProtoField(int number, int wireType, ulong varint, ReadOnlySpan<byte> bytes, ReadOnlySpan<byte> encoded)
    {
        Number = number;
        WireType = wireType;
        Varint = varint;
        Bytes = bytes;
        Encoded = encoded;
    }

    public int Number { get; }

    /// <summary>0 varint, 1 fixed64, 2 length-delimited, 5 fixed32.</summary>
    public int WireType { get; }

    /// <summary>The value of a varint, fixed32 or fixed64 field.</summary>
    public ulong Varint { get; }

    /// <summary>The payload of a length-delimited field.</summary>
    public ReadOnlySpan<byte> Bytes { get; }

    /// <summary>The whole field as it was read: tag and value.</summary>
    public ReadOnlySpan<byte> Encoded { get; }

    public bool IsBytes(int number) => Number == number && WireType == 2;

    public bool IsVarint(int number) => Number == number && WireType == 0;

    public string String() => Encoding.UTF8.GetString(Bytes);
}

/// <summary>
/// Reads the fields of one protobuf message in order. The graph rewrites (<see cref="PoolingGraph"/>,
/// <see cref="HalfPrecisionGraph"/>, <see cref="FusedBertGraph"/>) need only this and <see cref="ProtoWriter"/>,
/// not an ONNX library.
/// </summary>
internal ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
        Current = default;
    }

    public ProtoField Current { get; private set; }

    public readonly ProtoReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_position >= _data.Length)
        {
            return false;
        }

        int start = _position;
        ulong tag = ReadVarint();
        int wireType = (int)(tag & 7);
        ulong value = 0;
        ReadOnlySpan<byte> bytes = default;
        switch (wireType)
        {
            case 0:
                value = ReadVarint();
                break;
            case 1:
                value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
                _position += 8;
                break;
            case 2:
                int length = checked((int)ReadVarint());
                bytes = _data.Slice(_position, length);
                _position += length;
                break;
            case 5:
                value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
                _position += 4;
                break;
            default:
                throw new InvalidDataException($"Unsupported protobuf wire type {wireType} in the ONNX model.");
        }

        Current = new ProtoField((int)(tag >> 3), wireType, value, bytes, _data[start.._position]);
        return true;
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }
    }
}

/// <summary>Writes a protobuf message field by field.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer;

    /// <param name="capacity">The expected size, so a model-sized message is not copied as the buffer grows.</param>
    public ProtoWriter(int capacity = 0) => _buffer = new MemoryStream(capacity);

    public void Varint(int field, long value)
    {
        Tag(field, 0);
        WriteVarint((ulong)value);
    }

    public void Fixed32(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _buffer.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
    }

    /// <summary>Copies a field read by <see cref="ProtoReader"/> unchanged.</summary>
    public void Raw(ReadOnlySpan<byte> encoded) => _buffer.Write(encoded);

    public byte[] ToArray() => _buffer.ToArray();

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        _buffer.WriteByte((byte)value);
    }
}

/// <summary>The ONNX messages the graph rewrites write: nodes, attributes, value types and opset imports.</summary>
internal static class OnnxNodes
{
    // ONNX enum values: TensorProto.DataType and AttributeProto.AttributeType.
    public const int FloatType = 1;
    public const int Int32Type = 6;
    public const int Int64Type = 7;
    public const int Float16Type = 10;
    private const int FloatAttribute = 1;
    private const int IntAttribute = 2;
    private const int IntsAttribute = 7;

    public static ProtoWriter Node(string opType, string[] inputs, string[] outputs, string? domain = null, ProtoWriter[]? attributes = null)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }

        foreach (string output in outputs)
        {
            node.String(2, output);
        }

        node.String(3, outputs[0] + "_node");
        node.String(4, opType);
        foreach (ProtoWriter attribute in attributes ?? [])
        {
            node.Message(5, attribute);
        }

        if (domain is not null)
        {
            node.String(7, domain);
        }

        return node;
    }

    public static ProtoWriter IntAttr(string name, long value)
    {
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        attribute.Varint(3, value);
        attribute.Varint(20, IntAttribute);
        return attribute;
    }

    public static ProtoWriter FloatAttr(string name, float value)
    {
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        attribute.Fixed32(2, value);
        attribute.Varint(20, FloatAttribute);
        return attribute;
    }

    public static ProtoWriter Opset(string domain, long version)
    {
        var opset = new ProtoWriter();
        opset.String(1, domain);
        opset.Varint(2, version);
        return opset;
    }

    public static ProtoWriter FloatValueInfo(string name, string[] symbolicDims, int last)
    {
        var shape = new ProtoWriter();
        foreach (string symbol in symbolicDims)
        {
            var dim = new ProtoWriter();
            dim.String(2, symbol);
            shape.Message(1, dim);
        }

        var lastDim = new ProtoWriter();
        lastDim.Varint(1, last);
        shape.Message(1, lastDim);
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, FloatType);
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var valueInfo = new ProtoWriter();
        valueInfo.String(1, name);
        valueInfo.Message(2, type);
        return valueInfo;
    }

    public static ProtoWriter IntsAttr(string name, long value)
    {
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        attribute.Varint(8, value);
        attribute.Varint(20, IntsAttribute);
        return attribute;
    }
}
