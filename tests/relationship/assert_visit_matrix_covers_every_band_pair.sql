{#-
    Every pair of an attractiveness band and a QRC band (seed score_bands) has exactly one cell
    in seed visit_matrix_cells, so every account lands in exactly one cell.
-#}
with band_pairs as (
    select
        attractiveness_bands.band_code as attractiveness_band,
        qrc_bands.band_code as qrc_band
    from {{ ref('score_bands') }} as attractiveness_bands
    cross join {{ ref('score_bands') }} as qrc_bands
    where attractiveness_bands.family = 'attractiveness'
        and qrc_bands.family = 'qrc'
),

cells as (
    select
        attractiveness_band,
        qrc_band,
        count(*) as cell_count
    from {{ ref('visit_matrix_cells') }}
    group by attractiveness_band, qrc_band
)

select
    coalesce(band_pairs.attractiveness_band, cells.attractiveness_band) as attractiveness_band,
    coalesce(band_pairs.qrc_band, cells.qrc_band) as qrc_band,
    coalesce(cells.cell_count, 0) as cell_count
from band_pairs
full outer join cells
    on band_pairs.attractiveness_band = cells.attractiveness_band
    and band_pairs.qrc_band = cells.qrc_band
where band_pairs.attractiveness_band is null or coalesce(cells.cell_count, 0) != 1
