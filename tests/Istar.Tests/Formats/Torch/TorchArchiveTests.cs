using System.Buffers.Binary;
using Istar.Formats.Torch;
using Istar.Tests.Support;
using static TorchSharp.torch;

namespace Istar.Tests.Formats.Torch;

public class TorchArchiveTests
{
    [Fact]
    public void Nothing_but_the_pickle_is_read_when_the_archive_is_opened()
    {
        using var dir = new TempDir();
        string path = WriteViews(dir);
        using var archive = TorchArchive.Open(path);
        Assert.Empty(archive.RecordsRead);
        Assert.Equal(0, archive.BytesRead);
        Assert.Equal(["0", "1", "2", "3"], archive.Storages.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("cuda:0", archive.Storages["0"].Location);
        Assert.Equal("archive/", archive.Prefix);
    }

    [Fact]
    public void A_view_with_offset_and_strides_reads_only_the_elements_it_spans()
    {
        using var dir = new TempDir();
        using var archive = TorchArchive.Open(WriteViews(dir));
        var root = (PyDict)archive.Root!;

        // a[i, j] = storage[2 + i + 2j]: elements 2 … 7 of the 12, i.e. 24 bytes.
        using var a = archive.Read((TensorRef)root["a"]!);
        Assert.Equal([2L, 3L], a.shape);
        Assert.Equal(new float[] { 2, 4, 6, 3, 5, 7 }, a.data<float>().ToArray());
        Assert.Equal(24, archive.BytesRead);
        Assert.Equal(["archive/data/0"], archive.RecordsRead);

        using var d = archive.Read((TensorRef)root["d"]!);
        Assert.Equal(new float[] { 4, 5, 6, 7 }, d.data<float>().ToArray());
    }

    [Fact]
    public void Zero_dimensional_and_stride_zero_views_of_a_shared_storage_are_read()
    {
        using var dir = new TempDir();
        using var archive = TorchArchive.Open(WriteViews(dir));
        var root = (PyDict)archive.Root!;
        using var b = archive.Read((TensorRef)root["b"]!);
        Assert.Empty(b.shape);
        Assert.Equal(11f, b.item<float>());
        using var c = archive.Read((TensorRef)root["c"]!);
        Assert.Equal(new float[] { 1, 1, 1 }, c.data<float>().ToArray());
        Assert.Same(((TensorRef)root["a"]!).Storage, ((TensorRef)root["b"]!).Storage);
    }

    [Fact]
    public void Half_bfloat16_and_integer_storages_keep_their_element_type()
    {
        using var dir = new TempDir();
        using var archive = TorchArchive.Open(WriteViews(dir));
        var root = (PyDict)archive.Root!;

        using var h = archive.Read((TensorRef)root["h"]!);
        Assert.Equal(ScalarType.Float16, h.dtype);
        using var h32 = h.to(ScalarType.Float32);
        Assert.Equal(new float[] { 1.5f, 0.25f, -2f, 65504f }, h32.data<float>().ToArray()); // transposed view

        using var bf = archive.Read((TensorRef)root["bf"]!);
        Assert.Equal(ScalarType.BFloat16, bf.dtype);
        using var bf32 = bf.to(ScalarType.Float32);
        Assert.Equal(new float[] { 1f, -3f, 0.5f }, bf32.data<float>().ToArray());

        using var n = archive.Read((TensorRef)root["n"]!);
        Assert.Equal(ScalarType.Int64, n.dtype);
        Assert.Equal(new long[] { 5, -7 }, n.data<long>().ToArray());
    }

    [Fact]
    public void A_view_past_the_end_of_its_storage_is_rejected_with_both_sizes()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.pth");
        var writer = new TorchZipWriter();
        writer.AddStorage("0", TorchZipWriter.Floats(new float[12]));
        writer.Write(path, new PickleDict().Add("x", new PickleTensor("0", "FloatStorage", 12, 10, [3], [1])));
        using var archive = TorchArchive.Open(path);
        var e = Assert.Throws<InvalidDataException>(() => archive.Read((TensorRef)((PyDict)archive.Root!)["x"]!));
        Assert.Contains("needs 13 elements", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 12", e.Message, StringComparison.Ordinal);
        Assert.Empty(archive.RecordsRead);
    }

    [Fact]
    public void A_missing_storage_record_is_named()
    {
        using var dir = new TempDir();
        string path = dir.File("missing.pth");
        new TorchZipWriter().Write(path, new PickleDict().Add("x", new PickleTensor("7", "FloatStorage", 4, 0, [4], [1])));
        using var archive = TorchArchive.Open(path);
        var e = Assert.Throws<InvalidDataException>(() => archive.Read((TensorRef)((PyDict)archive.Root!)["x"]!));
        Assert.Contains("'archive/data/7' is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_big_endian_archive_is_rejected()
    {
        using var dir = new TempDir();
        string path = dir.File("be.pth");
        new TorchZipWriter().Write(path, new PickleDict(), byteOrder: "big");
        var e = Assert.Throws<InvalidDataException>(() => TorchArchive.Open(path));
        Assert.Contains("'big' byte order", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Namespaces_numbers_and_nested_dicts_are_unpickled()
    {
        using var dir = new TempDir();
        string path = dir.File("args.pth");
        var root = new PickleDict()
            .Add("args", new PickleNamespace(new PickleDict().Add("arch", "vit_small").Add("lr", 0.05).Add("crops", new object?[] { 0.4, 1.0 })))
            .Add("epoch", 3L)
            .Add("big", 1L << 40)
            .Add("flag", true)
            .Add("none", null)
            .Add(15L, new PickleDict(Ordered: true).Add("step", 4L));
        new TorchZipWriter().Write(path, root, prefix: "checkpoint/");
        using var archive = TorchArchive.Open(path);
        var read = (PyDict)archive.Root!;
        var args = (PyObject)read["args"]!;
        Assert.Equal("argparse.Namespace", args.Type.FullName);
        Assert.Equal("vit_small", args.Attribute("arch"));
        Assert.Equal(0.05, args.Attribute("lr"));
        Assert.Equal(new object?[] { 0.4, 1.0 }, (object?[])args.Attribute("crops")!);
        Assert.Equal(3L, read["epoch"]);
        Assert.Equal(1L << 40, read["big"]);
        Assert.Equal(true, read["flag"]);
        Assert.True(read.ContainsKey("none"));
        Assert.Equal(4L, ((PyDict)read[15L]!)["step"]);
        Assert.Equal("checkpoint/", archive.Prefix);
    }

    [Fact]
    public void A_truncated_pickle_is_invalid_data()
    {
        byte[] pickle = TorchZipWriter.Pickle(new PickleDict().Add("a", "b"));
        var e = Assert.Throws<InvalidDataException>(() => TorchPickle.Load(pickle[..^3], _ => throw new InvalidOperationException()));
        Assert.Contains("data.pkl byte", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Storage 0: floats 0 … 11 (cuda:0); 1: fp16; 2: bf16; 3: int64; tensors a, b, c, d (views of 0), h, bf, n.</summary>
    private static string WriteViews(TempDir dir)
    {
        var writer = new TorchZipWriter();
        writer.AddStorage("0", TorchZipWriter.Floats([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
        var half = new byte[8];
        float[] halves = [1.5f, -2f, 0.25f, 65504f];
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(half.AsSpan(2 * i), BitConverter.HalfToUInt16Bits((Half)halves[i]));
        }

        writer.AddStorage("1", half);
        var bf16 = new byte[6];
        float[] bfloats = [1f, -3f, 0.5f];
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bf16.AsSpan(2 * i), (ushort)(BitConverter.SingleToUInt32Bits(bfloats[i]) >> 16));
        }

        writer.AddStorage("2", bf16);
        var longs = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(longs, 5);
        BinaryPrimitives.WriteInt64LittleEndian(longs.AsSpan(8), -7);
        writer.AddStorage("3", longs);

        var root = new PickleDict(Ordered: true)
            .Add("a", new PickleTensor("0", "FloatStorage", 12, 2, [2, 3], [1, 2], "cuda:0"))
            .Add("b", new PickleTensor("0", "FloatStorage", 12, 11, [], [], "cuda:0"))
            .Add("c", new PickleTensor("0", "FloatStorage", 12, 1, [3], [0], "cuda:0"))
            .Add("d", new PickleTensor("0", "FloatStorage", 12, 4, [2, 2], [2, 1], "cuda:0"))
            .Add("h", new PickleTensor("1", "HalfStorage", 4, 0, [2, 2], [1, 2]))
            .Add("bf", new PickleTensor("2", "BFloat16Storage", 3, 0, [3], [1]))
            .Add("n", new PickleTensor("3", "LongStorage", 2, 0, [2], [1]));
        string path = dir.File("views.pth");
        writer.Write(path, root);
        return path;
    }
}
