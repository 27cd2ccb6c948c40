import { Injectable } from '@nestjs/common';
import { Shrinker, type ShrinkContext } from './library.js';
import type { CartLine, ViewedProduct } from './shop-session.js';

/**
 * What the shop gives up when its cookies would not fit the browser's limits. The library calls
 * these only then; the lowest priority is shrunk first, and it stops as soon as the data fits.
 */
@Injectable()
export class ShopShrinkers {
  /**
   * The history matters least: drop the oldest view, one at a time, down to the three newest.
   * As a last resort (`last: true`) forget the history altogether.
   */
  @Shrinker('recentlyViewed', { priority: 0 })
  forgetOldViews(list: ViewedProduct[], { last }: ShrinkContext): ViewedProduct[] | undefined {
    if (last) return undefined;
    return list.length > 3 ? list.slice(1) : list;
  }

  /**
   * The cart matters more: it is left alone while the history can give way. As a last resort,
   * its lines lose their name and price snapshots (the catalog still has them); no line is lost.
   */
  @Shrinker('cart', { priority: 10 })
  compactCart(cart: CartLine[], { last }: ShrinkContext): CartLine[] {
    if (!last) return cart;
    return cart.map(({ id, qty }) => ({ id, qty }));
  }
}
