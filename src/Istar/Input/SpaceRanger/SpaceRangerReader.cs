namespace Istar.Input.SpaceRanger;

/// <summary>
/// Reads a Space Ranger <c>outs/</c> folder: the count matrix (HDF5 or MEX, filtered by default), the spot
/// positions and the scale factors. The path may be <c>outs/</c>, the folder holding it, or a matrix file/folder
/// inside it. Counts and positions are joined by barcode later, never by order.
/// </summary>
internal static class SpaceRangerReader
{
    /// <summary>True when the path looks like Space Ranger output (an outs/ folder, the folder holding one, or a matrix inside one).</summary>
    public static bool Looks(string path)
    {
        if (File.Exists(path))
        {
            return path.EndsWith(".h5", StringComparison.OrdinalIgnoreCase);
        }

        if (!Directory.Exists(path))
        {
            return false;
        }

        if (MexReader.IsMex(path))
        {
            return true;
        }

        string outs = Directory.Exists(Path.Combine(path, "outs")) ? Path.Combine(path, "outs") : path;
        return Directory.Exists(Path.Combine(outs, "spatial"))
            || File.Exists(Path.Combine(outs, "filtered_feature_bc_matrix.h5"))
            || File.Exists(Path.Combine(outs, "raw_feature_bc_matrix.h5"))
            || Directory.Exists(Path.Combine(outs, "filtered_feature_bc_matrix"));
    }

    public static SampleParts Read(SampleSource source)
    {
        string path = Path.GetFullPath(source.Path);
        var problems = new List<InputProblem>();
        string outs;
        string? matrix = null;
        if (File.Exists(path))
        {
            matrix = path;
            outs = Path.GetDirectoryName(path)!;
        }
        else if (MexReader.IsMex(path))
        {
            matrix = path;
            outs = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(path))!;
        }
        else
        {
            outs = Directory.Exists(Path.Combine(path, "outs")) ? Path.Combine(path, "outs") : path;
        }

        matrix ??= ChooseMatrix(outs, source.RawMatrix, problems);
        var counts = matrix.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) ? TenXH5Reader.Read(matrix) : MexReader.Read(matrix);

        string spatial = Path.Combine(outs, "spatial");
        string? positionsPath = new[] { "tissue_positions.csv", "tissue_positions_list.csv" }
            .Select(f => Path.Combine(spatial, f))
            .FirstOrDefault(File.Exists);
        if (positionsPath is null)
        {
            string hint = File.Exists(Path.Combine(spatial, "tissue_positions.parquet"))
                ? "This looks like Visium HD (tissue_positions.parquet), which is not supported yet; use the binned outputs' CSV or convert the parquet to tissue_positions.csv."
                : "Copy the whole spatial/ folder from Space Ranger's outs/ next to the matrix.";
            throw new InputException(
                Relative(outs, spatial) + "/",
                "expected tissue_positions.csv (Space Ranger 2+) or tissue_positions_list.csv (1.x), found neither.",
                hint);
        }

        var positions = TissuePositionsReader.Read(positionsPath);
        string scalePath = Path.Combine(spatial, "scalefactors_json.json");
        ScaleFactors? scale = null;
        if (File.Exists(scalePath))
        {
            scale = ScaleFactorsReader.Read(scalePath);
        }
        else
        {
            problems.Add(InputProblem.Warning(
                "spatial/scalefactors_json.json",
                "expected the scale factors (spot_diameter_fullres), found no file.",
                "Without it the spot diameter is derived from the pixel size (55 µm spots); copy the file from Space Ranger's outs/spatial/, or pass --pixel-size."));
        }

        var parts = new SampleParts
        {
            Format = SampleFormat.SpaceRanger,
            SourcePath = outs,
            Counts = counts,
            Positions = positions,
            Platform = source.Platform ?? SpotPlatform.Visium,
            ImagePath = source.ImagePath,
            SpotDiameterPixels = scale?.SpotDiameterFullres,
            SpotDiameterLocation = scale?.SpotDiameterFullres is null ? null : "spot_diameter_fullres in spatial/scalefactors_json.json",
            ScaleFactors = scale,
            HasInTissueFlag = true,
            ExtraPositionsExpected = true,
        };
        parts.Problems.AddRange(problems);
        return parts;
    }

    private static string ChooseMatrix(string outs, bool raw, List<InputProblem> problems)
    {
        string wanted = raw ? "raw" : "filtered";
        string other = raw ? "filtered" : "raw";
        foreach (string kind in new[] { wanted, other })
        {
            string h5 = Path.Combine(outs, $"{kind}_feature_bc_matrix.h5");
            string mex = Path.Combine(outs, $"{kind}_feature_bc_matrix");
            string? found = File.Exists(h5) ? h5 : MexReader.IsMex(mex) ? mex : null;
            if (found is null)
            {
                continue;
            }

            if (kind != wanted)
            {
                problems.Add(InputProblem.Warning(
                    Path.GetFileName(found),
                    $"expected the {wanted} matrix ({wanted}_feature_bc_matrix.h5 or {wanted}_feature_bc_matrix/), found only the {other} one.",
                    raw
                        ? "Using the filtered matrix: only spots Space Ranger called as tissue have counts."
                        : "Using the raw matrix; spots are still limited to in-tissue ones unless --all-spots is given."));
            }

            return found;
        }

        throw new InputException(
            Path.GetFileName(outs) + "/",
            $"expected {wanted}_feature_bc_matrix.h5 or the MEX folder {wanted}_feature_bc_matrix/ (or the {other} ones), found none.",
            "Point at Space Ranger's outs/ folder (or the folder holding it), which holds the count matrix and spatial/.");
    }

    private static string Relative(string outs, string path) =>
        Path.GetFileName(Path.TrimEndingDirectorySeparator(outs)) + "/" + Path.GetRelativePath(outs, path).Replace('\\', '/');
}
