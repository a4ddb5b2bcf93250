using System.Buffers.Binary;
using System.Text;

namespace Istar.Features.ResNet18;

/// <summary>One ONNX node: operator, inputs, outputs and attributes (only the kinds ResNet-18 uses).</summary>
internal sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, OnnxAttribute> Attributes)
{
    /// <summary>An integer-list attribute, or <paramref name="fallback"/> when absent.</summary>
    public long[] Ints(string name, long[] fallback) => Attributes.TryGetValue(name, out var a) && a.Ints.Count > 0 ? [.. a.Ints] : fallback;

    /// <summary>An integer attribute, or <paramref name="fallback"/> when absent.</summary>
    public long Int(string name, long fallback) => Attributes.TryGetValue(name, out var a) && a.Int is { } v ? v : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/> when absent.</summary>
    public float Float(string name, float fallback) => Attributes.TryGetValue(name, out var a) && a.Float is { } v ? v : fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Attributes.TryGetValue(name, out var a) && a.String is { } v ? v : fallback;
}

/// <summary>An ONNX attribute value (int, float, string or ints).</summary>
internal sealed record OnnxAttribute(string Name, long? Int, float? Float, string? String, IReadOnlyList<long> Ints);

/// <summary>A float32 initializer (weights).</summary>
internal sealed record OnnxTensor(string Name, long[] Dims, float[] Data)
{
    /// <summary>Dims as text, e.g. <c>64x3x7x7</c>.</summary>
    public string Shape => string.Join('x', Dims);
}

/// <summary>A graph input or output with its static shape (-1 where symbolic).</summary>
internal sealed record OnnxValue(string Name, long[] Dims);

/// <summary>
/// The parts of an ONNX <c>ModelProto</c> needed to rebuild a convolutional network: producer, graph inputs and
/// outputs, the node list in order and the float initializers. A minimal protobuf reader (the wire format is five
/// encodings; field numbers from onnx/onnx.proto), so no ONNX or protobuf package is needed.
/// </summary>
internal sealed class OnnxModel
{
    private OnnxModel(string producer, IReadOnlyList<OnnxNode> nodes, IReadOnlyDictionary<string, OnnxTensor> initializers, IReadOnlyList<OnnxValue> inputs, IReadOnlyList<OnnxValue> outputs)
    {
        Producer = producer;
        Nodes = nodes;
        Initializers = initializers;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Producer name and version, e.g. <c>CNTK 2.6</c>.</summary>
    public string Producer { get; }

    /// <summary>Nodes in file (topological) order.</summary>
    public IReadOnlyList<OnnxNode> Nodes { get; }

    /// <summary>Float initializers by name.</summary>
    public IReadOnlyDictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>Graph inputs that are not initializers.</summary>
    public IReadOnlyList<OnnxValue> Inputs { get; }

    /// <summary>Graph outputs.</summary>
    public IReadOnlyList<OnnxValue> Outputs { get; }

    /// <summary>Reads an ONNX file; a file that is not a readable ONNX model is an <see cref="InvalidDataException"/>.</summary>
    public static OnnxModel Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Parses ONNX bytes; <paramref name="source"/> names them in errors.</summary>
    public static OnnxModel Parse(ReadOnlySpan<byte> bytes, string source)
    {
        try
        {
            return ParseModel(bytes);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentOutOfRangeException or IndexOutOfRangeException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{source}: not a readable ONNX model ({e.Message})", e);
        }
    }

    private static OnnxModel ParseModel(ReadOnlySpan<byte> bytes)
    {
        string producer = string.Empty;
        string version = string.Empty;
        bool sawGraph = false;
        var nodes = new List<OnnxNode>();
        var initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        var inputs = new List<OnnxValue>();
        var outputs = new List<OnnxValue>();
        var model = new ProtoReader(bytes);
        while (model.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 2 when wire == 2:
                    producer = model.String();
                    break;
                case 3 when wire == 2:
                    version = model.String();
                    break;
                case 7 when wire == 2:
                    sawGraph = true;
                    ParseGraph(model.Bytes(), nodes, initializers, inputs, outputs);
                    break;
                default:
                    model.Skip(wire);
                    break;
            }
        }

        if (!sawGraph || nodes.Count == 0)
        {
            throw new InvalidDataException("no graph with nodes");
        }

        inputs.RemoveAll(v => initializers.ContainsKey(v.Name));
        return new OnnxModel((producer + " " + version).Trim(), nodes, initializers, inputs, outputs);
    }

    private static void ParseGraph(ReadOnlySpan<byte> bytes, List<OnnxNode> nodes, Dictionary<string, OnnxTensor> initializers, List<OnnxValue> inputs, List<OnnxValue> outputs)
    {
        var graph = new ProtoReader(bytes);
        while (graph.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    nodes.Add(ParseNode(graph.Bytes()));
                    break;
                case 5 when wire == 2:
                    var t = ParseTensor(graph.Bytes());
                    initializers[t.Name] = t;
                    break;
                case 11 when wire == 2:
                    inputs.Add(ParseValueInfo(graph.Bytes()));
                    break;
                case 12 when wire == 2:
                    outputs.Add(ParseValueInfo(graph.Bytes()));
                    break;
                default:
                    graph.Skip(wire);
                    break;
            }
        }
    }

    private static OnnxNode ParseNode(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new Dictionary<string, OnnxAttribute>(StringComparer.Ordinal);
        string op = string.Empty;
        string name = string.Empty;
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    inputs.Add(r.String());
                    break;
                case 2 when wire == 2:
                    outputs.Add(r.String());
                    break;
                case 3 when wire == 2:
                    name = r.String();
                    break;
                case 4 when wire == 2:
                    op = r.String();
                    break;
                case 5 when wire == 2:
                    var a = ParseAttribute(r.Bytes());
                    attributes[a.Name] = a;
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }

        return new OnnxNode(op, name, inputs, outputs, attributes);
    }

    private static OnnxAttribute ParseAttribute(ReadOnlySpan<byte> bytes)
    {
        var r = new ProtoReader(bytes);
        string name = string.Empty;
        long? i = null;
        float? f = null;
        string? s = null;
        var ints = new List<long>();
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1 when wire == 2:
                    name = r.String();
                    break;
                case 2 when wire == 5:
                    f = r.Fixed32Float();
                    break;
                case 3 when wire == 0:
                    i = (long)r.Varint();
                    break;
                case 4 when wire == 2:
                    s = r.String();
                    break;
                case 8:
                    r.Int64s(wire, ints);
                    break;
                default:
                    r.Skip(wire);
                    break;
            }
        }

        return new OnnxAttribute(name, i, f, s, ints);
    }

    private static OnnxTensor ParseTensor(ReadOnlySpan<byte> bytes)
    {
        const int Float = 1;
        var r = new ProtoReader(bytes);
        var dims = new List<long>();
        int dataType = 0;
        string name = string.Empty;
        float[]? raw = null;
        var floats = new List<float>();
        while (r.Next(out int field, out int wire))
        {
            switch (field)
            {
                case 1:
                    r.Int64s(wire, dims);
                    break;
                case 2 when wire == 0:
                    dataType = (int)r.Varint();
                    break;
                case 4:
                    r.Floats(wire, floats);
                    break;
                case 8 when wire == 2:
                    name = r.String();
                    break;
                case 9 when wire == 2:
                    var b = r.Bytes();
                    if (b.Length % 4 != 0)
                    {
                        throw new InvalidDataException($"tensor raw_data of {b.Length} bytes is not float32");
                    }

                    raw = new float[b.Length / 4];
                    for (int k = 0; k < raw.Length; k++)
                    {
                        raw[k] = BinaryPrimitives.ReadSingleLittleEndian(b[(4 * k)..]);
                    }

                    break;
                case 13 or 14:
                    throw new InvalidDataException($"tensor '{name}' keeps its data in an external file, which is not supported");
                default:
                    r.Skip(wire);
                    break;
            }
        }

        if (dataType != Float)
        {
            throw new InvalidDataException($"initializer '{name}' has data type {dataType}; only float32 (1) is supported");
        }

        float[] data = raw ?? [.. floats];
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != data.Length)
        {
            throw new InvalidDataException($"initializer '{name}' of shape {string.Join('x', dims)} holds {data.Length} values");
        }

        return new OnnxTensor(name, [.. dims], data);
    }

    private static OnnxValue ParseValueInfo(ReadOnlySpan<byte> bytes)
    {
        // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1; shape = 2 { dim = 1 { dim_value = 1 | dim_param = 2 } } } } }
        var r = new ProtoReader(bytes);
        string name = string.Empty;
        var dims = new List<long>();
        while (r.Next(out int field, out int wire))
        {
            if (field == 1 && wire == 2)
            {
                name = r.String();
            }
            else if (field == 2 && wire == 2)
            {
                var type = new ProtoReader(r.Bytes());
                while (type.Next(out int tf, out int tw))
                {
                    if (tf != 1 || tw != 2)
                    {
                        type.Skip(tw);
                        continue;
                    }

                    var tensor = new ProtoReader(type.Bytes());
                    while (tensor.Next(out int sf, out int sw))
                    {
                        if (sf != 2 || sw != 2)
                        {
                            tensor.Skip(sw);
                            continue;
                        }

                        var shape = new ProtoReader(tensor.Bytes());
                        while (shape.Next(out int df, out int dw))
                        {
                            if (df != 1 || dw != 2)
                            {
                                shape.Skip(dw);
                                continue;
                            }

                            var dim = new ProtoReader(shape.Bytes());
                            long value = -1;
                            while (dim.Next(out int vf, out int vw))
                            {
                                if (vf == 1 && vw == 0)
                                {
                                    value = (long)dim.Varint();
                                }
                                else
                                {
                                    dim.Skip(vw);
                                }
                            }

                            dims.Add(value);
                        }
                    }
                }
            }
            else
            {
                r.Skip(wire);
            }
        }

        return new OnnxValue(name, [.. dims]);
    }

    /// <summary>Reads protobuf wire format: varint (0), fixed64 (1), length-delimited (2), fixed32 (5).</summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _at;

        public bool Next(out int field, out int wire)
        {
            if (_at >= _data.Length)
            {
                field = 0;
                wire = 0;
                return false;
            }

            ulong key = Varint();
            field = (int)(key >> 3);
            wire = (int)(key & 7);
            if (field == 0)
            {
                throw new InvalidDataException($"field number 0 at byte {_at}");
            }

            return true;
        }

        public ulong Varint()
        {
            ulong result = 0;
            for (int shift = 0; shift < 64; shift += 7)
            {
                if (_at >= _data.Length)
                {
                    throw new InvalidDataException("truncated varint");
                }

                byte b = _data[_at++];
                result |= (ulong)(b & 0x7f) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }

            throw new InvalidDataException("varint longer than 10 bytes");
        }

        public ReadOnlySpan<byte> Bytes()
        {
            ulong length = Varint();
            if (length > (ulong)(_data.Length - _at))
            {
                throw new InvalidDataException($"length {length} at byte {_at} runs past the end");
            }

            var slice = _data.Slice(_at, (int)length);
            _at += (int)length;
            return slice;
        }

        public string String() => Encoding.UTF8.GetString(Bytes());

        public float Fixed32Float()
        {
            float v = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_at, 4));
            _at += 4;
            return v;
        }

        public void Int64s(int wire, List<long> into)
        {
            if (wire == 0)
            {
                into.Add((long)Varint());
                return;
            }

            if (wire != 2)
            {
                throw new InvalidDataException($"int64 list with wire type {wire}");
            }

            var packed = new ProtoReader(Bytes());
            while (packed._at < packed._data.Length)
            {
                into.Add((long)packed.Varint());
            }
        }

        public void Floats(int wire, List<float> into)
        {
            if (wire == 5)
            {
                into.Add(Fixed32Float());
                return;
            }

            if (wire != 2)
            {
                throw new InvalidDataException($"float list with wire type {wire}");
            }

            var b = Bytes();
            if (b.Length % 4 != 0)
            {
                throw new InvalidDataException("packed floats not a multiple of 4 bytes");
            }

            into.EnsureCapacity(into.Count + (b.Length / 4));
            for (int k = 0; k < b.Length; k += 4)
            {
                into.Add(BinaryPrimitives.ReadSingleLittleEndian(b[k..]));
            }
        }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0:
                    Varint();
                    break;
                case 1:
                    Advance(8);
                    break;
                case 2:
                    Bytes();
                    break;
                case 5:
                    Advance(4);
                    break;
                default:
                    throw new InvalidDataException($"unsupported wire type {wire} at byte {_at}");
            }
        }

        private void Advance(int n)
        {
            if (n > _data.Length - _at)
            {
                throw new InvalidDataException("truncated fixed-size field");
            }

            _at += n;
        }
    }
}
